import Testing
@testable import CSICapture

@Test func sourceIDFormatsMAC() {
    let id = CSISourceID(transmitter: [0xd4, 0x5d, 0x64, 0xd9, 0x4c, 0x2c], core: 1, spatialStream: 0)
    #expect(id.description == "d4:5d:64:d9:4c:2c/core1/ss0")
    #expect(CSISourceID().transmitterString == "unknown")
}
