#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spectrum stage of `csi-ratio-doppler`: resampled CSI ratios in, one Doppler spectrum frame out every `hop`
/// steps once `fft` steps are held.
///
/// For each of the `series` complex series (receive-chain pair x subcarrier) over the last `fft` steps:
/// remove its mean (the static path: walls, furniture, a constant per-chain offset), apply a Hann window, take the
/// DFT, add `|X[k]|^2` over all series. The static power `S = sum_series |mean|^2` normalises it:
/// `frame[b] = 10 log10(sum_{k in band b} P[k] / (N sum_n w[n]^2 S) + 10^(floor_db / 10))` with the bins in signed
/// frequency order (band 0 holds the most negative frequencies, `-rate/2`), `N = fft`, `bins` bands of
/// `fft / bins` bins each. Summed over the bands (before the log) this is the dynamic-to-static power ratio, so
/// the figure does not depend on the room's gain; its shape is the distribution of path-length speeds.
///
/// With `drift_lags`, the frame goes on with one value per lag `L` (in frames): with `m_t` the per-series means of
/// this frame (the static part removed above) and `m_{t-L}` those of the frame `L` frames earlier,
/// `10 log10(sum_series |m_t - m_{t-L}|^2 / S + 10^(floor_db / 10))`: how far the static channel moved in `L`
/// frames, relative to its power (a posture change moves it and leaves it moved). Until `L` earlier frames are held
/// (after the start or a ``reset()``) the value is `floor_db`.
///
/// With `median_steps` K > 1, each series' real and imaginary parts over the held steps are first replaced by their
/// running median over K steps centred on each step (the first and last held step repeated past the ends); the means
/// above are those of the filtered series.
///
/// Preallocated: `push` does not allocate. Doubles inside (the reference in scripts/ uses float64 too). A radix-2
/// FFT for power-of-two `fft` (the default 64), a direct DFT otherwise.
public struct DopplerSpectrum {
    /// The parameters.
    public let spec: DopplerSpec
    /// Complex series per step (values per step / 2).
    public let series: Int

    /// Ring of the last `fft` steps, (fft, 2 * series) floats; row `(head + i) % fft` is the i-th oldest.
    private var ring: [Float]
    private var head = 0, count = 0
    /// Steps since the last frame.
    private var sinceFrame = 0
    /// Hann window, (fft,), and `N * sum w^2`.
    private let window: [Double]
    private let windowEnergy: Double
    /// DFT twiddles: cos and sin of `2 pi k n / N`, (fft, fft) row k (sizes that are not a power of two).
    private let cosTable: [Double], sinTable: [Double]
    /// Radix-2 FFT (power-of-two sizes): bit-reversed order, (fft,), and twiddles cos/sin of `2 pi j / N`, (fft/2,).
    private let bitReversed: [Int], twiddleCos: [Double], twiddleSin: [Double]
    /// Scratch: one windowed series, (fft,) re and im; the power spectrum, (fft,).
    private var scratchRe: [Double], scratchIm: [Double], power: [Double]
    /// Scratch: one series in time order, (fft,) re and im, after the running median (``DopplerSpec/medianSteps``);
    /// the K values of one median, (K,).
    private var seriesRe: [Double], seriesIm: [Double], medianScratch: [Double]
    /// Frames of means kept for the drift lags: the longest lag + 1 (0 without drift lags).
    private let meansRows: Int
    /// Per-series means of the last `meansRows` frames, (meansRows, series, re/im); row
    /// `(meansHead + i) % meansRows` is the i-th oldest.
    private var means: [Double]
    private var meansHead = 0, meansCount = 0

    /// Creates the stage for steps of `2 * series` floats, (series, re/im) row-major.
    public init(spec: DopplerSpec, series: Int) {
        self.spec = spec
        self.series = series
        let n = spec.fftSize
        ring = [Float](repeating: 0, count: n * 2 * series)
        // periodic Hann: w[n] = 0.5 - 0.5 cos(2 pi n / N)
        window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n)) }
        windowEnergy = Double(n) * window.reduce(0) { $0 + $1 * $1 }
        if n & (n - 1) == 0 {
            let bits = n.trailingZeroBitCount
            bitReversed = (0..<n).map { i in (0..<bits).reduce(0) { ($0 << 1) | ((i >> $1) & 1) } }
            twiddleCos = (0..<(n / 2)).map { cos(2 * Double.pi * Double($0) / Double(n)) }
            twiddleSin = (0..<(n / 2)).map { sin(2 * Double.pi * Double($0) / Double(n)) }
            cosTable = []
            sinTable = []
        } else {
            var c = [Double](repeating: 0, count: n * n), s = c
            for k in 0..<n {
                for t in 0..<n {
                    let angle = 2 * Double.pi * Double((k * t) % n) / Double(n)
                    c[k * n + t] = cos(angle)
                    s[k * n + t] = sin(angle)
                }
            }
            cosTable = c
            sinTable = s
            bitReversed = []
            twiddleCos = []
            twiddleSin = []
        }
        scratchRe = [Double](repeating: 0, count: n)
        scratchIm = scratchRe
        power = scratchRe
        seriesRe = scratchRe
        seriesIm = scratchRe
        medianScratch = [Double](repeating: 0, count: spec.medianSteps)
        meansRows = spec.driftLags.last.map { $0 + 1 } ?? 0
        means = [Double](repeating: 0, count: meansRows * 2 * series)
    }

    /// Floats per input step.
    public var inputWidth: Int { 2 * series }

    /// Appends one step `(series, re/im)`; when a frame is due (the ring is full and `hop` steps arrived since the
    /// previous one), writes its `spec.frameWidth` values (bands, then drift) into `frame` and returns true.
    public mutating func push(_ step: UnsafeBufferPointer<Float>, frame: UnsafeMutableBufferPointer<Float>) -> Bool {
        let width = inputWidth, n = spec.fftSize
        let row = (head + count) % n
        if count == n { head = (head + 1) % n } else { count += 1 }
        ring.withUnsafeMutableBufferPointer { ring in
            for i in 0..<width { ring[row * width + i] = step[i] }
        }
        sinceFrame += 1
        // the first frame comes as soon as the ring is full (then sinceFrame == fft >= hop), then every `hop` steps
        guard count == n, sinceFrame >= spec.hop else { return false }
        sinceFrame = 0
        compute(into: frame)
        return true
    }

    /// Forgets the held steps (a gap in the capture).
    public mutating func reset() {
        head = 0
        count = 0
        sinceFrame = 0
        meansHead = 0
        meansCount = 0
    }

    /// Iterative radix-2 decimation-in-time FFT of `scratch` (already in bit-reversed order), in place:
    /// `X[k] = sum_t y[t] exp(-j 2 pi k t / N)`.
    private mutating func transformInPlace() {
        let n = spec.fftSize
        var size = 2
        while size <= n {
            let half = size / 2, stride = n / size
            var start = 0
            while start < n {
                for j in 0..<half {
                    let wr = twiddleCos[j * stride], wi = -twiddleSin[j * stride]     // exp(-j 2 pi j / size)
                    let a = start + j, b = a + half
                    let tr = scratchRe[b] * wr - scratchIm[b] * wi
                    let ti = scratchRe[b] * wi + scratchIm[b] * wr
                    scratchRe[b] = scratchRe[a] - tr
                    scratchIm[b] = scratchIm[a] - ti
                    scratchRe[a] += tr
                    scratchIm[a] += ti
                }
                start += size
            }
            size *= 2
        }
    }

    /// Replaces `seriesRe` and `seriesIm` by their running medians over `spec.medianSteps` steps, centred, the ends
    /// repeated (the filtered values go to the scratch arrays first, then back).
    private mutating func medianFilterSeries() {
        let n = spec.fftSize, k = spec.medianSteps, half = k / 2
        for part in 0..<2 {
            for t in 0..<n {
                // the k values around t, ends clamped, insertion-sorted into medianScratch (k <= 31)
                for j in 0..<k {
                    let source = min(max(t + j - half, 0), n - 1)
                    let value = part == 0 ? seriesRe[source] : seriesIm[source]
                    var i = j
                    while i > 0 && medianScratch[i - 1] > value {
                        medianScratch[i] = medianScratch[i - 1]
                        i -= 1
                    }
                    medianScratch[i] = value
                }
                if part == 0 { scratchRe[t] = medianScratch[half] } else { scratchIm[t] = medianScratch[half] }
            }
        }
        for t in 0..<n {
            seriesRe[t] = scratchRe[t]
            seriesIm[t] = scratchIm[t]
        }
    }

    private mutating func compute(into frame: UnsafeMutableBufferPointer<Float>) {
        let n = spec.fftSize, width = inputWidth
        for k in 0..<n { power[k] = 0 }
        var staticPower = 0.0
        // this frame's row of means (drift lags): the oldest row is overwritten once the history is full
        let rows = meansRows
        let meansRow = rows == 0 ? 0 : (meansHead + meansCount) % rows
        if rows > 0 { if meansCount == rows { meansHead = (meansHead + 1) % rows } else { meansCount += 1 } }
        ring.withUnsafeBufferPointer { ring in
            for c in 0..<series {
                // the series in time order, (fft,) re and im, median-filtered when asked
                for t in 0..<n {
                    let r = (head + t) % n
                    seriesRe[t] = Double(ring[r * width + 2 * c])
                    seriesIm[t] = Double(ring[r * width + 2 * c + 1])
                }
                if spec.medianSteps > 1 { medianFilterSeries() }
                var meanRe = 0.0, meanIm = 0.0
                for t in 0..<n {
                    meanRe += seriesRe[t]
                    meanIm += seriesIm[t]
                }
                meanRe /= Double(n)
                meanIm /= Double(n)
                staticPower += meanRe * meanRe + meanIm * meanIm
                if rows > 0 {
                    means[(meansRow * series + c) * 2] = meanRe
                    means[(meansRow * series + c) * 2 + 1] = meanIm
                }
                let fast = !bitReversed.isEmpty
                for t in 0..<n {
                    let slot = fast ? bitReversed[t] : t      // the FFT reads its input in bit-reversed order
                    scratchRe[slot] = (seriesRe[t] - meanRe) * window[t]
                    scratchIm[slot] = (seriesIm[t] - meanIm) * window[t]
                }
                if fast {
                    transformInPlace()
                    for k in 0..<n { power[k] += scratchRe[k] * scratchRe[k] + scratchIm[k] * scratchIm[k] }
                    continue
                }
                // X[k] = sum_t y[t] exp(-j 2 pi k t / N)
                for k in 0..<n {
                    var xr = 0.0, xi = 0.0
                    let base = k * n
                    for t in 0..<n {
                        let cr = cosTable[base + t], ci = sinTable[base + t]
                        xr += scratchRe[t] * cr + scratchIm[t] * ci
                        xi += scratchIm[t] * cr - scratchRe[t] * ci
                    }
                    power[k] += xr * xr + xi * xi
                }
            }
        }
        let floor = pow(10, spec.floorDB / 10)
        let perBand = n / spec.bins
        let scale = staticPower > 0 ? 1 / (windowEnergy * staticPower) : 0
        for b in 0..<spec.bins {
            var sum = 0.0
            for i in 0..<perBand {
                // band b, bin i in signed order -> DFT index (signed + N) mod N, signed = b * perBand + i - N / 2
                let signed = b * perBand + i - n / 2
                sum += power[(signed + n) % n]
            }
            frame[b] = Float(10 * log10(sum * scale + floor))
        }
        // drift: this frame's means (row meansRow, the newest) against those `lag` frames earlier
        for (i, lag) in spec.driftLags.enumerated() {
            var moved = 0.0
            if lag < meansCount {
                let earlier = (meansRow - lag + rows) % rows
                for v in 0..<(2 * series) {
                    let d = means[meansRow * 2 * series + v] - means[earlier * 2 * series + v]
                    moved += d * d
                }
            }
            let ratio = staticPower > 0 ? moved / staticPower : 0
            frame[spec.bins + i] = Float(10 * log10(ratio + floor))
        }
    }
}
