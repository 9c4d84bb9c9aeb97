import CSICapture
import FuzzSupport

/// The input is a whole Intel 5300 `.dat` capture (Linux CSI Tool `log_to_file` framing).
nonisolated(unsafe) private let scratch = ScratchFile(name: "intel5300")

/// libFuzzer entry: writes the input to the scratch file and reads every frame with ``Intel5300Reader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIntel5300(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard scratch.write(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    if let reader = try? Intel5300Reader(path: scratch.path) {
        ReaderDrain.drain(reader)
    }
    return 0
}

FuzzDriver.run(fuzzIntel5300)
