import CSICapture
import FuzzSupport

/// The input is a whole ESP32-CSI-Tool CSV capture.
/// libFuzzer entry: reads every frame out of the input (in memory, the same framing code as for files) with ``ESP32CSVReader``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzESP32CSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let reader = ESP32CSVReader(bytes: [UInt8](UnsafeRawBufferPointer(start: data, count: size)), name: "fuzz")
    ReaderDrain.drain(reader)
    return 0
}

FuzzDriver.run(fuzzESP32CSV)
