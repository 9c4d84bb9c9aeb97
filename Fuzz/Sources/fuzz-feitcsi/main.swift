import CSICapture
import FuzzSupport

/// The input is a whole FeitCSI `.csi` capture (272-byte Intel CSI headers, each followed by its CSI).
/// libFuzzer entry: reads every frame out of the input (in memory, the same framing code as for files) with ``FeitCSIReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFeitCSI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let reader = FeitCSIReader(bytes: [UInt8](UnsafeRawBufferPointer(start: data, count: size)), name: "fuzz")
    ReaderDrain.drain(reader)
    return 0
}

FuzzDriver.run(fuzzFeitCSI)
