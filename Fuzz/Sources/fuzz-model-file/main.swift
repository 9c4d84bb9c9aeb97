import FuzzSupport
import CSIInference

/// libFuzzer entry: the input is a whole `.safetensors` model file, parsed and validated by ``CSIModel`` (the
/// header JSON, tensor table, `__metadata__.csihar` config and every tensor shape), as `csihard` does at startup and
/// on SIGHUP.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    do {
        let model = try CSIModel.load(bytes: bytes, source: "fuzz.safetensors")
        precondition(model.config.labels.count == model.config.classes)
    } catch {
        _ = error.description
    }
    return 0
}

FuzzDriver.run(fuzzModelFile)
