/// How the 30 layout subcarriers are read from a frame's CSI columns: feature `s` is the magnitude
/// `(1 - weight[s]) * |H[lower[s]]| + weight[s] * |H[upper[s]]|` (an exact pick has `lower == upper`, weight 0).
/// Built once per subcarrier grid and cached by ``FeatureExtractor``; immutable and shared, so that handing the
/// plan to every frame's extraction costs one reference count, not one per array.
final class SubcarrierPlan: Sendable {
    /// Column of the lower neighbour, (30,).
    let lower: [Int]
    /// Column of the upper neighbour, (30,).
    let upper: [Int]
    /// Interpolation weight of the upper neighbour, (30,).
    let weight: [Float]
    /// What the plan had to do (substitution, interpolation, sub-band).
    let flags: FeatureFlags
    /// Every usable column of the grid, ascending by tone (the plan's band, pilots and corrupted tones left out):
    /// where `sanitized-doppler` measures each packet's phase line.
    let phaseColumns: [Int]

    /// Creates a plan.
    init(lower: [Int], upper: [Int], weight: [Float], flags: FeatureFlags, phaseColumns: [Int] = []) {
        self.lower = lower
        self.upper = upper
        self.weight = weight
        self.flags = flags
        self.phaseColumns = phaseColumns
    }

    /// The same plan with `extra` added to its flags.
    func adding(_ extra: FeatureFlags) -> SubcarrierPlan {
        SubcarrierPlan(lower: lower, upper: upper, weight: weight, flags: flags.union(extra), phaseColumns: phaseColumns)
    }

    /// Magnitude of layout subcarrier `s` read from the CSI columns of one chain that start at `base` in `re`/`im`
    /// (the formula above, in Double).
    @inline(__always)
    func magnitude(_ s: Int, base: Int, real re: UnsafeBufferPointer<Float>, imag im: UnsafeBufferPointer<Float>) -> Double {
        let l = base + lower[s]
        let lowerMagnitude = (Double(re[l]) * Double(re[l]) + Double(im[l]) * Double(im[l])).squareRoot()
        let w = Double(weight[s])
        guard w != 0 else { return lowerMagnitude }
        let u = base + upper[s]
        let upperMagnitude = (Double(re[u]) * Double(re[u]) + Double(im[u]) * Double(im[u])).squareRoot()
        return (1 - w) * lowerMagnitude + w * upperMagnitude
    }

    /// Complex value `(re, im)` of layout subcarrier `s` from the CSI columns of one chain that start at `base`: the
    /// linear interpolation of the complex neighbours, `(1 - weight[s]) * H[lower[s]] + weight[s] * H[upper[s]]`.
    @inline(__always)
    func complexValue(_ s: Int, base: Int, real re: UnsafeBufferPointer<Float>, imag im: UnsafeBufferPointer<Float>) -> (Double, Double) {
        let l = base + lower[s]
        let w = Double(weight[s])
        guard w != 0 else { return (Double(re[l]), Double(im[l])) }
        let u = base + upper[s]
        return ((1 - w) * Double(re[l]) + w * Double(re[u]), (1 - w) * Double(im[l]) + w * Double(im[u]))
    }

    /// Tone position of layout subcarrier `s` given the frame's column indices `tones` (interpolated like the value).
    @inline(__always)
    func position(_ s: Int, tones: [Int]) -> Double {
        let w = Double(weight[s])
        return (1 - w) * Double(tones[lower[s]]) + w * Double(tones[upper[s]])
    }

    /// The identity plan for a frame whose 30 columns are already the layout subcarriers (Intel 5300).
    static let identity = SubcarrierPlan(lower: Array(0..<30), upper: Array(0..<30),
                                         weight: [Float](repeating: 0, count: 30), flags: [], phaseColumns: Array(0..<30))
    /// ``identity`` flagged as the Intel 5300's 40 MHz grid.
    static let identity40MHz = identity.adding(.grid40MHz)

    /// Exact selection of `targets` (signed subcarrier indices) from `subcarriers` (the frame's columns).
    /// A target that is absent or not `usable` is replaced by the nearest usable index on the same side of DC,
    /// inward first (e.g. a corrupted +28 by +27); `nil` when no substitute lies within 8 indices.
    static func exact(targets: [Int], subcarriers: [Int], usable: (Int) -> Bool) -> SubcarrierPlan? {
        var column: [Int: Int] = [:]
        for (c, k) in subcarriers.enumerated() { column[k] = c }   // a later duplicate index wins
        var picks: [Int] = []
        var flags: FeatureFlags = []
        for k in targets {
            if usable(k), let c = column[k] { picks.append(c); continue }
            let side = k < 0 ? -1 : 1
            var found: Int?
            search: for distance in 1...8 {
                for candidate in [k - side * distance, k + side * distance]
                where candidate * side > 0 && usable(candidate) {
                    if let c = column[candidate] { found = c; break search }
                }
            }
            guard let c = found else { return nil }
            picks.append(c)
            flags.insert(.substitutedSubcarrier)
        }
        return SubcarrierPlan(lower: picks, upper: picks, weight: [Float](repeating: 0, count: picks.count),
                              flags: flags, phaseColumns: subcarriers.indices.filter { usable(subcarriers[$0]) })
    }

    /// Linear interpolation of the magnitude at 30 evenly spaced indices from `first` to `last` over the
    /// usable columns; `nil` when fewer than 2 usable columns exist.
    static func interpolated(first: Int, last: Int, subcarriers: [Int], usable: (Int) -> Bool) -> SubcarrierPlan? {
        // usable (index, column) pairs, ascending by index
        let points = subcarriers.enumerated().filter { usable($0.element) }.map { (k: $0.element, c: $0.offset) }
        guard points.count >= 2 else { return nil }
        var lower: [Int] = [], upper: [Int] = [], weight: [Float] = []
        var j = 0
        for i in 0..<30 {
            let t = Double(first) + Double(last - first) * Double(i) / 29
            while j + 2 < points.count && Double(points[j + 1].k) < t { j += 1 }
            let a = points[j], b = points[j + 1]
            let w = min(max((t - Double(a.k)) / Double(b.k - a.k), 0), 1)
            lower.append(a.c)
            upper.append(b.c)
            weight.append(Float(w))
        }
        return SubcarrierPlan(lower: lower, upper: upper, weight: weight, flags: [.interpolated],
                              phaseColumns: points.map(\.c))
    }
}
