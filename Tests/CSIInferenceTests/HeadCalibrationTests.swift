import CSITestSupport
import Foundation
import Testing
@testable import CSIInference

/// The head adapter against SciPy's L-BFGS-B optimum of the same convex objective
/// (`training/fixtures/make_calibration_fixtures.py`), its errors, and the calibration file.
struct HeadAdapterTests {
    static var directory: URL { GoldenLogitsTests.fixtureDirectory.appendingPathComponent("calibration") }
    static let cases = ["balanced", "absent-classes", "few-shots-16", "strong-penalty"]

    @Test(arguments: cases) func reachesSciPysOptimum(name: String) throws {
        let file = try SafetensorsFile.read(path: Self.directory.appendingPathComponent("\(name).safetensors").path)
        let x = try #require(file.tensors["embeddings"]), w0 = try #require(file.tensors["weight0"])
        let b0 = try #require(file.tensors["bias0"]), w = try #require(file.tensors["weight"])
        let b = try #require(file.tensors["bias"])
        let labels = try #require(file.tensors["labels"]).values.map { Int($0) }
        let lambda = try #require(Double(file.metadata["lambda"] ?? ""))
        let optimum = try #require(Double(file.metadata["objective"] ?? ""))
        let original = try ClassifierHead(weight: w0.values, bias: b0.values, classes: w0.shape[0], inputs: w0.shape[1])
        let adapter = ClassifierHeadAdapter(lambda: lambda)
        let result = try adapter.adapt(embeddings: x.values, labels: labels, original: original)
        let weightdiff = zip(result.head.weight, w.values).map { abs($0 - $1) }.max() ?? .infinity
        let biasdiff = zip(result.head.bias, b.values).map { abs($0 - $1) }.max() ?? .infinity
        // J of the float32 head that is returned (what is stored and run), and of SciPy's float32-rounded optimum.
        let ours = try adapter.objective(embeddings: x.values, labels: labels, original: original, at: result.head)
        let scipyHead = try ClassifierHead(weight: w.values, bias: b.values, classes: w.shape[0], inputs: w.shape[1])
        let theirs = try adapter.objective(embeddings: x.values, labels: labels, original: original, at: scipyHead)
        print("calibration \(name): n \(labels.count), E \(original.inputs), C \(original.classes), lambda \(lambda): "
              + "J0 \(result.initialObjective) -> J \(result.objective) (SciPy \(optimum), diff \(result.objective - optimum)), "
              + "\(result.iterations) iterations, max|grad| \(result.gradientNorm); head maxdiff vs SciPy: weight "
              + "\(weightdiff), bias \(biasdiff) (tolerance 1e-4); float32 heads: J \(ours.value) vs \(theirs.value)")
        #expect(abs(result.objective - optimum) <= 1e-9 * max(1, optimum))
        #expect(result.gradientNorm <= 1e-7)
        #expect(weightdiff <= 1e-4 && biasdiff <= 1e-4)
        #expect(abs(ours.value - theirs.value) <= 1e-6)
        // Absent classes keep the original row exactly.
        for c in 0..<original.classes where !labels.contains(c) {
            let size = original.inputs
            #expect(Array(result.head.weight[(c * size)..<((c + 1) * size)]) == Array(w0.values[(c * size)..<((c + 1) * size)]))
            #expect(result.head.bias[c] == b0.values[c])
        }
        // Deterministic: the same call gives the same head bit for bit.
        #expect(try adapter.adapt(embeddings: x.values, labels: labels, original: original).head == result.head)
    }

    @Test func badCalibrationDataIsATypedError() throws {
        let head = try ClassifierHead(weight: [1, 0, 0, 1, 1, 1], bias: [0, 0, 0], classes: 3, inputs: 2)
        let adapter = ClassifierHeadAdapter()
        func error(_ embeddings: [Float], _ labels: [Int]) -> HeadAdaptationError? {
            do { _ = try adapter.adapt(embeddings: embeddings, labels: labels, original: head); return nil }
            catch { return error }
        }
        #expect(error([0.5, 0.5], [1]) == .tooFewWindows(1))
        #expect(error([], []) == .tooFewWindows(0))
        #expect(error([0.5, 0.5, 0.1, 0.2], [2, 2]) == .singleClass(2))
        #expect(error([0.5, .nan, 0.1, 0.2], [0, 1]) == .nonFinite("calibration embedding of window 0, component 1, is nan"))
        #expect(error([0.5, 0.5, .infinity, 0.2], [0, 1]) != nil)
        #expect(error([0.5, 0.5, 0.1, 0.2], [0, 3]) == .labelOutOfRange(window: 1, label: 3, classes: 3))
        #expect(error([0.5, 0.5, 0.1], [0, 1]) != nil)       // 3 values for 2 windows of E = 2
        for e in [error([0.5], [1]), error([1, 1, 1, 1], [0, 0]), error([.nan, 0, 0, 0], [0, 1])] {
            print("calibration error: \(e.map(\.description) ?? "none")")
        }
        #expect(throws: HeadAdaptationError.self) {
            try ClassifierHeadAdapter(lambda: 0).adapt(embeddings: [0, 1, 1, 0], labels: [0, 1], original: head)
        }
    }
}

struct HeadCalibrationFileTests {
    static func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("csihar-headcal-\(getpid())-\(name)").path
    }

    static func model() throws -> (CSIModel, String, String) {
        let path = GoldenLogitsTests.modelPath("gru")
        let model = try CSIModel.load(path: path)
        return (model, path, try #require(SHA256Digest.hex(fileAt: path)))
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256Digest.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func roundTrip() throws {
        let (model, path, digest) = try Self.model()
        let size = model.embeddingSize, classes = model.config.classes
        var generator = SplitMix(seed: 9)
        let embeddings = (0..<(6 * size)).map { _ in generator.nextFloat() - 0.5 }
        let result = try ClassifierHeadAdapter().adapt(embeddings: embeddings, labels: [0, 1, 2, 0, 1, 2], original: model.head)
        let calibration = HeadCalibration(model: model, modelSHA256: digest, result: result)
        #expect(calibration.perClassWindows == ["class 0": 2, "class 1": 2, "class 2": 2] && calibration.windows == 6)
        let file = Self.scratch("roundtrip.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try calibration.save(path: file)
        let loaded = try HeadCalibration.load(path: file)
        #expect(loaded == calibration)
        let head = try HeadCalibration.load(path: file, for: model, modelPath: path)
        #expect(head == result.head && head.classes == classes)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.contains("headcal-\(getpid())-roundtrip.json.tmp") }
        #expect(leftovers.isEmpty)
    }

    /// Every rejection names the file and the field.
    @Test func rejections() throws {
        let (model, path, digest) = try Self.model()
        let head = model.head
        let good = HeadCalibration(model: model.config.name, modelSHA256: digest, classes: model.config.labels, head: head,
                                   windows: 4, perClassWindows: ["class 0": 2, "class 1": 2])
        let file = Self.scratch("reject.json")
        defer { try? FileManager.default.removeItem(atPath: file) }
        func field(_ edit: (inout [String: Any]) -> Void) -> String? {
            var object = good.jsonObject
            edit(&object)
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            FileManager.default.createFile(atPath: file, contents: data)
            return field(of: { try HeadCalibration.load(path: file, for: model, modelPath: path) })
        }
        func field(text: String) -> String? {
            FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
            return field(of: { try HeadCalibration.load(path: file, for: model, modelPath: path) })
        }
        func field(of body: () throws -> ClassifierHead) -> String? {
            do { _ = try body(); return nil } catch let error as HeadCalibrationError {
                print("rejected: \(error)")
                #expect(error.path == file)
                return error.field
            } catch { return "unexpected \(error)" }
        }
        #expect(field { _ in } == nil)
        #expect(field(text: "{\"format\": 1, \"model\": ") == "json")
        #expect(field(text: "[1, 2]") == "json")
        #expect(field { $0["format"] = 2 } == "format")
        #expect(field { $0.removeValue(forKey: "model") } == "model")
        #expect(field { $0["model"] = "other-model" } == "model")
        #expect(field { $0["model_sha256"] = String(repeating: "0", count: 64) } == "model_sha256")
        #expect(field { $0["model_sha256"] = "xyz" } == "model_sha256")
        #expect(field {
            $0["classes"] = (0..<model.config.classes).map { "label \($0)" }
            $0["per_class_windows"] = [String: Int]()
        } == "classes")
        #expect(field { $0["classes"] = [1, 2] } == "classes")
        #expect(field { $0["embedding"] = model.embeddingSize + 1 } == "weight")           // weight count no longer fits
        #expect(field { var w = $0["weight"] as! [Double]; w.removeLast(); $0["weight"] = w } == "weight")
        #expect(field { var w = $0["weight"] as! [Any]; w[3] = "NaN"; $0["weight"] = w } == "weight")
        #expect(field { $0["bias"] = [Double](repeating: 0, count: model.config.classes + 1) } == "bias")
        #expect(field { $0["created"] = "yesterday" } == "created")
        #expect(field { $0["windows"] = 1.5 } == "windows")
        #expect(field { $0["per_class_windows"] = ["no such class": 3] } == "per_class_windows")
        #expect(field { $0["per_class_windows"] = [1] } == "per_class_windows")
        // A head whose embedding size and weight agree but do not fit the model.
        #expect(field {
            $0["embedding"] = model.embeddingSize + 1
            $0["weight"] = [Double](repeating: 0, count: model.config.classes * (model.embeddingSize + 1))
        } == "embedding")
        // NaN / infinity written as a number (1e999 parses to infinity or fails as JSON): rejected either way.
        let text = String(decoding: try JSONSerialization.data(withJSONObject: good.jsonObject, options: [.sortedKeys]), as: UTF8.self)
        let infinite = field(text: text.replacingOccurrences(of: "\"bias\":[", with: "\"bias\":[1e999,"))
        #expect(infinite == "bias" || infinite == "json")
        do { _ = try HeadCalibration.load(path: file + ".missing") } catch { #expect(error.field == "file") }
        // Saving into a directory that does not exist: a typed error, nothing left behind.
        do { try good.save(path: "/nonexistent-dir/x.json"); Issue.record("saved") } catch { #expect(error.field == "file") }
    }
}
