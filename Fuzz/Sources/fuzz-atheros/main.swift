import CSICapture
import FuzzSupport

/// The input is a whole Atheros CSI Tool `recv_csi` log (byte order detected from the first record).
nonisolated(unsafe) private let scratch = ScratchFile(name: "atheros")

/// libFuzzer entry: writes the input to the scratch file and reads every frame with ``AtherosReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAtheros(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard scratch.write(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    if let reader = try? AtherosReader(path: scratch.path) {
        ReaderDrain.drain(reader)
    }
    return 0
}

FuzzDriver.run(fuzzAtheros)
