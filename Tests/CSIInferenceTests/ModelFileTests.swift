import Foundation
import Testing
@testable import CSIInference

/// Loading validates names, shapes, dtypes and values and reports the offending field; hostile bytes never trap.
struct ModelFileTests {
    static let gruConfig = TestModels.configJSON(architecture: "gru", hidden: 4, classes: 2, steps: 5, features: 3)

    func loadError(_ bytes: [UInt8]) -> ModelFileError? {
        do {
            _ = try CSIModel.load(bytes: bytes, source: "test.safetensors")
            return nil
        } catch {
            return error
        }
    }

    @Test func roundTripLoadsEveryArchitecture() throws {
        for architecture in ModelArchitecture.allCases {
            let json = TestModels.configJSON(architecture: architecture.rawValue, hidden: 5, layers: 2,
                                             bidirectional: architecture == .bilstm || architecture == .ablstm,
                                             attention: architecture == .ablstm ? 6 : nil, steps: 4, features: 50)
            let model = try CSIModel.load(bytes: TestModels.file(configJSON: json).serialized(), source: "t")
            #expect(model.config.architecture == architecture)
            #expect(model.parameterCount > 0)
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = try TestModels.file(configJSON: Self.gruConfig).serialized()
        var errors = 0
        for length in 0..<bytes.count {
            if loadError(Array(bytes[0..<length])) != nil { errors += 1 }
        }
        print("truncations: \(bytes.count), errors: \(errors)")
        #expect(errors == bytes.count)
        #expect(loadError(bytes) == nil)
    }

    @Test func hugeHeaderLengthIsRefused() {
        var bytes: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]
        bytes += Array("{}".utf8)
        let error = loadError(bytes)
        #expect(error?.field == "header")
        print(error?.description ?? "no error")
    }

    /// A file whose header is `header` (JSON text) followed by `dataBytes` zero bytes.
    func file(header: String, dataBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test func hostileShapesAndOffsetsAreRefused() {
        let cases: [(String, Int, String)] = [
            (#"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#, 16, "a"),
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 1000000]}}"#, 8, "a"),
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, 8, "a"),
            (#"{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, 4, "a"),
            (#"{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, 8, "a"),
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, "b"),
            (#"[1, 2]"#, 0, "header"),
            (#"{"a": "#, 0, "header"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 4, "__metadata__.csihar"),
        ]
        for (header, dataBytes, field) in cases {
            let error = loadError(file(header: header, dataBytes: dataBytes))
            print("\(header.prefix(60)): \(error?.description ?? "accepted")")
            #expect(error?.field == field)
        }
    }

    @Test func tensorProblemsNameTheTensor() throws {
        let base = try TestModels.file(configJSON: Self.gruConfig)
        var missing = base
        missing.tensors["gru.bias_hh_l0"] = nil
        #expect(loadError(missing.serialized())?.field == "gru.bias_hh_l0")
        var reshaped = base
        reshaped.tensors["fc.weight"] = .init(shape: [4, 2], values: [Float](repeating: 0, count: 8))
        #expect(loadError(reshaped.serialized())?.field == "fc.weight")
        var extra = base
        extra.tensors["gru.weight_ih_l1"] = .init(shape: [1], values: [0])
        #expect(loadError(extra.serialized())?.field == "gru.weight_ih_l1")
        var poisoned = base
        poisoned.tensors["gru.weight_hh_l0"]?.values[3] = .nan
        let error = loadError(poisoned.serialized())
        #expect(error?.field == "gru.weight_hh_l0")
        print(error?.description ?? "no error")
    }

    @Test func configProblemsNameTheField() throws {
        let cases: [(String, String)] = [
            (#"{"architecture": "transformer", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "architecture"),
            (#"{"architecture": "gru", "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "hidden_size"),
            (#"{"architecture": "gru", "hidden_size": 0, "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "hidden_size"),
            (#"{"architecture": "gru", "hidden_size": 4, "classes": 2, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "labels"),
            (#"{"architecture": "gru", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 2}}"#, "input.features"),
            (#"{"architecture": "gru", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 1e300, "features": 2}}"#, "input.steps"),
            (#"{"architecture": "ablstm", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "attention_size"),
            (#"{"architecture": "cnn-gru", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 20}}"#, "input.features"),
            (#"{"format_version": 2, "architecture": "gru", "hidden_size": 4, "classes": 1, "labels": ["a"], "input": {"steps": 2, "features": 2}}"#, "format_version"),
            ("not json", "__metadata__.csihar"),
        ]
        for (json, field) in cases {
            do {
                _ = try ModelConfig(json: json, source: "m.safetensors")
                Issue.record("accepted: \(json)")
            } catch {
                print(error.description)
                #expect(error.field == field)
            }
        }
    }
}
