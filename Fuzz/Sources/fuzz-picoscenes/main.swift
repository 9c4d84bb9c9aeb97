import CSICapture
import FuzzSupport

/// The input is a whole PicoScenes `.csi` capture (frames of segments: RxSBasic, MVMExtra, CSI, ...).
/// libFuzzer entry: reads every frame out of the input (in memory, the same framing code as for files) with ``PicoScenesReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPicoScenes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let reader = PicoScenesReader(bytes: [UInt8](UnsafeRawBufferPointer(start: data, count: size)), name: "fuzz")
    ReaderDrain.drain(reader)
    return 0
}

FuzzDriver.run(fuzzPicoScenes)
