/// SenseFi's UT-HAR files: `X_<split>.csv` and `y_<split>.csv` are NumPy `.npy` arrays despite the name, X of shape
/// (N, 250, 90) or (N, 1, 250, 90) and y of shape (N,) or (N, 1) with class ids (har-anchors.md §1.4).
public struct UTHARArrays: Sendable {
    /// Windows, (N, steps, 90) row-major, as stored (the 90 dB amplitudes, un-normalised).
    public var windows: [Float]
    /// Class ids, (N,).
    public var labels: [Int]
    /// Steps per window (250 for UT-HAR).
    public var steps: Int

    /// Loads and checks a pair of files; errors name the file and the problem.
    public init(xPath: String, yPath: String, classes: Int) throws {
        let x = try NumpyFile.read(path: xPath)
        let y = try NumpyFile.read(path: yPath)
        var shape = x.shape
        if shape.count == 4 && shape[1] == 1 { shape.remove(at: 1) }
        guard shape.count == 3, shape[2] == FeatureLayout.features, shape[1] >= 1 else {
            throw NumpyFile.FormatError(path: xPath, reason: "shape \(x.shape), expected (N, steps, 90) or (N, 1, steps, 90)")
        }
        let n = shape[0]
        guard y.values.count == n, y.shape.count >= 1, y.shape.count <= 2, y.shape.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw NumpyFile.FormatError(path: yPath, reason: "shape \(y.shape), expected (\(n),) or (\(n), 1)")
        }
        var labels: [Int] = []
        labels.reserveCapacity(n)
        for (i, value) in y.values.enumerated() {
            guard value == value.rounded(), value >= 0, Int(value) < classes else {
                throw NumpyFile.FormatError(path: yPath, reason: "label \(i) is \(value), not a class id in 0..<\(classes)")
            }
            labels.append(Int(value))
        }
        windows = x.values.map { Float($0) }
        self.labels = labels
        steps = shape[1]
    }
}
