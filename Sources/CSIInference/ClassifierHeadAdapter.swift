import COpenBLAS
import Foundation

/// Why a head could not be adapted or used; the original head is kept. `description` is the message.
public enum HeadAdaptationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer than 2 calibration windows.
    case tooFewWindows(Int)
    /// Every calibration window has the same class (index).
    case singleClass(Int)
    /// A NaN or infinite value (what and where).
    case nonFinite(String)
    /// Sizes that do not fit together.
    case shape(String)
    /// A label outside `0..<classes`.
    case labelOutOfRange(window: Int, label: Int, classes: Int)

    public var description: String {
        switch self {
        case .tooFewWindows(let n):
            "calibration needs at least 2 labelled windows of 2 classes; got \(n) window(s); the original head is kept"
        case .singleClass(let c):
            "calibration needs windows of at least 2 classes; every window has class \(c); the original head is kept"
        case .nonFinite(let what): "\(what): not finite; the original head is kept"
        case .shape(let what): what
        case .labelOutOfRange(let window, let label, let classes):
            "calibration window \(window) has label \(label), outside 0..<\(classes); the original head is kept"
        }
    }
}

/// Few-shot calibration of a model's final classifier layer (``ClassifierHead``) from labelled embeddings.
///
/// Minimises the convex objective (in float64)
///
///     J(W, b) = Σ_i (w_i / n) · [ log Σ_{c ∈ P} exp z_ic − z_{i,y_i} ]  +  (λ/2) · (‖W − W₀‖² + ‖b − b₀‖²),
///     z_ic = W_c · x_i + b_c,
///
/// over all classes' rows, where `P` is the set of classes present in the calibration data, `n` the number of
/// windows, `w_i = n / (|P| · n_{y_i})` class-balanced weights (each present class weighs the same in total) and
/// `(W₀, b₀)` the original head. A class absent from the data has no data term (the softmax runs over `P`), so its
/// row is held at the original by the penalty alone: it stays exactly the original. Solver: L-BFGS (memory 10)
/// with a backtracking Armijo line search, from `(W₀, b₀)`, at most `iterations` steps, stopping when the largest
/// gradient component is below `gradientTolerance`. Deterministic (no randomness; fixed operation order).
/// Pure: no I/O, no global state.
public struct ClassifierHeadAdapter: Sendable {
    /// Penalty strength λ pulling the head toward the original.
    public var lambda: Double
    /// Maximum L-BFGS iterations.
    public var iterations: Int
    /// Stop when max |∂J| falls below this.
    public var gradientTolerance: Double

    /// The result of ``adapt(embeddings:labels:original:)``.
    public struct Result: Sendable {
        /// The adapted head.
        public var head: ClassifierHead
        /// J at the original head and at the result.
        public var initialObjective: Double
        public var objective: Double
        /// Largest |∂J/∂θ| at the result.
        public var gradientNorm: Double
        /// L-BFGS iterations run.
        public var iterations: Int
        /// Calibration windows per class, (classes).
        public var perClassWindows: [Int]
    }

    public init(lambda: Double = 1e-2, iterations: Int = 300, gradientTolerance: Double = 1e-7) {
        self.lambda = lambda
        self.iterations = iterations
        self.gradientTolerance = gradientTolerance
    }

    /// Fits a head to `embeddings` (n, E) row-major with `labels` (n) in the model's class order, starting from and
    /// pulled toward `original`. Throws (and computes nothing) on fewer than 2 windows, a single class, a label out
    /// of range, a non-finite embedding, or sizes that do not match the head.
    public func adapt(embeddings: [Float], labels: [Int], original: ClassifierHead) throws(HeadAdaptationError) -> Result {
        let problem = try Problem(embeddings: embeddings, labels: labels, original: original, lambda: lambda)
        let parameters = problem.start
        var x = parameters
        var gradient = [Double](repeating: 0, count: x.count)
        let initial = problem.evaluate(x, gradient: &gradient)
        var value = initial
        var iteration = 0
        var history: [(s: [Double], y: [Double], rho: Double)] = []
        let memory = 10
        var direction = [Double](repeating: 0, count: x.count)
        var alphas = [Double](repeating: 0, count: memory)
        var trial = x
        var trialGradient = gradient
        while iteration < iterations, Self.maxAbs(gradient) > gradientTolerance {
            // Two-loop recursion: direction = -H · gradient.
            for i in 0..<x.count { direction[i] = -gradient[i] }
            for (k, pair) in history.enumerated().reversed() {
                let a = pair.rho * Self.dot(pair.s, direction)
                alphas[k] = a
                for i in 0..<x.count { direction[i] -= a * pair.y[i] }
            }
            if let last = history.last {
                let scale = Self.dot(last.s, last.y) / Self.dot(last.y, last.y)
                for i in 0..<x.count { direction[i] *= scale }
            } else {
                let scale = 1 / max(1, Self.norm(gradient))       // first step: at most unit length
                for i in 0..<x.count { direction[i] *= scale }
            }
            for (k, pair) in history.enumerated() {
                let b = pair.rho * Self.dot(pair.y, direction)
                for i in 0..<x.count { direction[i] += pair.s[i] * (alphas[k] - b) }
            }
            var slope = Self.dot(gradient, direction)
            if slope >= 0 {                                        // not a descent direction: restart
                history.removeAll()
                for i in 0..<x.count { direction[i] = -gradient[i] / max(1, Self.norm(gradient)) }
                slope = Self.dot(gradient, direction)
            }
            // Backtracking Armijo line search.
            var step = 1.0
            var accepted = false
            for _ in 0..<40 {
                for i in 0..<x.count { trial[i] = x[i] + step * direction[i] }
                let trialValue = problem.evaluate(trial, gradient: &trialGradient)
                if trialValue <= value + 1e-4 * step * slope {
                    value = trialValue
                    accepted = true
                    break
                }
                step *= 0.5
            }
            guard accepted else { break }                         // no decrease representable: at the optimum
            var s = [Double](repeating: 0, count: x.count), y = s
            for i in 0..<x.count {
                s[i] = trial[i] - x[i]
                y[i] = trialGradient[i] - gradient[i]
            }
            let sy = Self.dot(s, y)
            if sy > 1e-18 {
                if history.count == memory { history.removeFirst() }
                history.append((s, y, 1 / sy))
            }
            swap(&x, &trial)
            swap(&gradient, &trialGradient)
            iteration += 1
        }
        let head = try problem.head(x)
        return Result(head: head, initialObjective: initial, objective: value, gradientNorm: Self.maxAbs(gradient),
                      iterations: iteration, perClassWindows: problem.counts)
    }

    /// J and ∂J at the original head (for tests and diagnostics).
    public func objective(embeddings: [Float], labels: [Int], original: ClassifierHead,
                          at head: ClassifierHead) throws(HeadAdaptationError) -> (value: Double, gradientNorm: Double) {
        let problem = try Problem(embeddings: embeddings, labels: labels, original: original, lambda: lambda)
        guard head.classes == original.classes, head.inputs == original.inputs else {
            throw .shape("head is \(head.classes) x \(head.inputs), original \(original.classes) x \(original.inputs)")
        }
        var gradient = [Double](repeating: 0, count: problem.start.count)
        let value = problem.evaluate(Problem.parameters(head), gradient: &gradient)
        return (value, Self.maxAbs(gradient))
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var total = 0.0
        for i in 0..<a.count { total += a[i] * b[i] }
        return total
    }
    static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
    static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }
}

/// The calibration objective: data in float64, parameters θ = [W (classes, E) row-major, b (classes)].
private struct Problem {
    let n: Int
    let classes: Int
    let inputs: Int
    let x: [Double]              // (n, E)
    let labels: [Int]            // (n)
    let sampleWeight: [Double]   // (n)   w_i / n
    let present: [Bool]          // (classes)
    let counts: [Int]            // (classes)
    let start: [Double]          // θ₀
    let lambda: Double

    init(embeddings: [Float], labels: [Int], original: ClassifierHead, lambda: Double) throws(HeadAdaptationError) {
        let n = labels.count
        let inputs = original.inputs, classes = original.classes
        guard embeddings.count == n * inputs else {
            throw .shape("calibration embeddings hold \(embeddings.count) values; \(n) labels x \(inputs) (the head's "
                         + "embedding size) = \(n * inputs)")
        }
        guard n >= 2 else { throw .tooFewWindows(n) }
        guard lambda.isFinite, lambda > 0 else { throw .shape("calibration lambda must be positive, got \(lambda)") }
        var counts = [Int](repeating: 0, count: classes)
        for (i, label) in labels.enumerated() {
            guard (0..<classes).contains(label) else { throw .labelOutOfRange(window: i, label: label, classes: classes) }
            counts[label] += 1
        }
        if let bad = embeddings.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite("calibration embedding of window \(bad / inputs), component \(bad % inputs), is \(embeddings[bad])")
        }
        let presentCount = counts.filter { $0 > 0 }.count
        guard presentCount >= 2 else { throw .singleClass(labels[0]) }
        self.n = n
        self.classes = classes
        self.inputs = inputs
        self.x = embeddings.map(Double.init)
        self.labels = labels
        self.counts = counts
        present = counts.map { $0 > 0 }
        // w_i / n = 1 / (|P| · n_{y_i}).
        sampleWeight = labels.map { 1 / (Double(presentCount) * Double(counts[$0])) }
        start = Problem.parameters(original)
        self.lambda = lambda
    }

    static func parameters(_ head: ClassifierHead) -> [Double] {
        head.weight.map(Double.init) + head.bias.map(Double.init)
    }

    /// The head of parameters θ (float32).
    func head(_ theta: [Double]) throws(HeadAdaptationError) -> ClassifierHead {
        let split = classes * inputs
        return try ClassifierHead(weight: theta[0..<split].map { Float($0) }, bias: theta[split...].map { Float($0) },
                                  classes: classes, inputs: inputs)
    }

    /// J(θ); writes ∂J/∂θ into `gradient`.
    func evaluate(_ theta: [Double], gradient: inout [Double]) -> Double {
        let split = classes * inputs
        var z = [Double](repeating: 0, count: n * classes)                        // (n, classes)
        for i in 0..<n {
            for c in 0..<classes { z[i * classes + c] = theta[split + c] }
        }
        // z += X (n, E) · Wᵀ (E, classes)
        x.withUnsafeBufferPointer { xp in
            theta.withUnsafeBufferPointer { tp in
                z.withUnsafeMutableBufferPointer { zp in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(classes), Int32(inputs), 1,
                                xp.baseAddress, Int32(inputs), tp.baseAddress, Int32(inputs), 1,
                                zp.baseAddress, Int32(classes))
                }
            }
        }
        var value = 0.0
        // z becomes G = ∂J/∂z (n, classes): w_i/n · (p_ic − [c = y_i]) over present classes, 0 elsewhere.
        for i in 0..<n {
            let row = i * classes
            var peak = -Double.infinity
            for c in 0..<classes where present[c] { peak = max(peak, z[row + c]) }
            var total = 0.0
            let zy = z[row + labels[i]]
            for c in 0..<classes where present[c] {
                let e = exp(z[row + c] - peak)
                z[row + c] = e
                total += e
            }
            let y = labels[i]
            let weight = sampleWeight[i]
            // −log p_{i,y} = log total − (z_y − peak)
            value += weight * (log(total) - (zy - peak))
            for c in 0..<classes {
                z[row + c] = present[c] ? weight * (z[row + c] / total - (c == y ? 1 : 0)) : 0
            }
        }
        for i in 0..<gradient.count { gradient[i] = 0 }
        // ∂W = Gᵀ (classes, n) · X (n, E)
        z.withUnsafeBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
                gradient.withUnsafeMutableBufferPointer { dp in
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(classes), Int32(inputs), Int32(n), 1,
                                gp.baseAddress, Int32(classes), xp.baseAddress, Int32(inputs), 0,
                                dp.baseAddress, Int32(inputs))
                }
            }
        }
        for i in 0..<n {
            for c in 0..<classes { gradient[split + c] += z[i * classes + c] }
        }
        var penalty = 0.0
        for k in 0..<theta.count {
            let d = theta[k] - start[k]
            penalty += d * d
            gradient[k] += lambda * d
        }
        return value + 0.5 * lambda * penalty
    }
}
