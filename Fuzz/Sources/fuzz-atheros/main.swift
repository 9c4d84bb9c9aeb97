import CSICapture
import FuzzSupport

/// The input is a whole Atheros CSI Tool `recv_csi` log (byte order detected from the first record).
/// libFuzzer entry: reads every frame out of the input (in memory, the same framing code as for files) with ``AtherosReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAtheros(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let reader = AtherosReader(bytes: [UInt8](UnsafeRawBufferPointer(start: data, count: size)), name: "fuzz")
    ReaderDrain.drain(reader)
    return 0
}

FuzzDriver.run(fuzzAtheros)
