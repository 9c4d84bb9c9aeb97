import CSICapture
import FuzzSupport

/// The input is a whole Intel 5300 `.dat` capture (Linux CSI Tool `log_to_file` framing).
/// libFuzzer entry: reads every frame out of the input (in memory, the same framing code as for files) with ``Intel5300Reader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIntel5300(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let reader = Intel5300Reader(bytes: [UInt8](UnsafeRawBufferPointer(start: data, count: size)), name: "fuzz")
    ReaderDrain.drain(reader)
    return 0
}

FuzzDriver.run(fuzzIntel5300)
