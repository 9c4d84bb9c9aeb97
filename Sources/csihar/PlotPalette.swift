import Foundation

/// The colours of `csihar plot`: a sequential ramp for amplitudes, computed in OKLab (Björn Ottosson's perceptual
/// colour space: lightness rises evenly from dark violet through blue and green to light yellow, so equal steps of
/// value look like equal steps of colour and the ramp reads in grey too), and one colour per activity label.
enum PlotPalette {
    /// An sRGB colour with 8-bit channels.
    struct Colour: Hashable {
        var red: UInt8, green: UInt8, blue: UInt8

        /// `#rrggbb`.
        var hex: String {
            func pair(_ value: UInt8) -> String {
                let text = String(value, radix: 16)
                return value < 16 ? "0" + text : text
            }
            return "#" + pair(red) + pair(green) + pair(blue)
        }
    }

    /// Levels of ``ramp(level:)``: heatmap cells are quantised to these, so that equal neighbours merge.
    static let rampLevels = 64

    /// The ramp colour of `t` in 0...1 (clamped): OKLCh lightness 0.24 -> 0.94, hue 295° -> 100°, chroma rising
    /// to 0.16 in the middle; out-of-gamut colours lose chroma until they fit.
    static func ramp(_ t: Double) -> Colour {
        let t = min(max(t.isFinite ? t : 0, 0), 1)
        let lightness = 0.24 + 0.70 * t
        let hue = (295 - 195 * t) * Double.pi / 180
        let chroma = 0.09 + 0.07 * sin(Double.pi * min(1, t * 1.15))
        var scale = 1.0
        while true {
            let a = chroma * scale * cos(hue), b = chroma * scale * sin(hue)
            if let colour = srgb(lightness: lightness, a: a, b: b) ?? (scale <= 0.05 ? clamped(lightness, a, b) : nil) {
                return colour
            }
            scale -= 0.05
        }
    }

    /// The colours of the ``rampLevels`` levels, level 0 darkest.
    static let rampColours: [Colour] = (0..<rampLevels).map { ramp(Double($0) / Double(rampLevels - 1)) }

    /// The colour of `label` (activity colours are fixed for the labels the shipped models use; any other label
    /// gets a hue from its position in `labels`, spaced by the golden angle).
    static func activity(_ label: String, among labels: [String] = []) -> Colour {
        switch label {
        case "idle": return Colour(red: 0xd9, green: 0xd9, blue: 0xd4)
        case "walk": return Colour(red: 0x3b, green: 0x7d, blue: 0xd8)
        case "run": return Colour(red: 0x7b, green: 0x4f, blue: 0xc9)
        case "sit down": return Colour(red: 0x2e, green: 0xa0, blue: 0x6b)
        case "stand up": return Colour(red: 0xa7, green: 0xb4, blue: 0x2c)
        case "lie down": return Colour(red: 0x1f, green: 0xa7, blue: 0xb8)
        case "pick up": return Colour(red: 0xe0, green: 0x8e, blue: 0x1b)
        case "fall": return fall
        default:
            let index = labels.firstIndex(of: label) ?? label.utf8.reduce(0) { ($0 * 31 + Int($1)) % 9973 }
            let hue = (Double(index) * 137.508).truncatingRemainder(dividingBy: 360) * Double.pi / 180
            return srgb(lightness: 0.68, a: 0.11 * cos(hue), b: 0.11 * sin(hue)) ?? clamped(0.68, 0.11 * cos(hue), 0.11 * sin(hue))
        }
    }

    /// Falls, in every panel.
    static let fall = Colour(red: 0xd6, green: 0x27, blue: 0x28)

    /// OKLab -> sRGB, nil when outside the sRGB gamut.
    private static func srgb(lightness: Double, a: Double, b: Double) -> Colour? {
        let linear = linearRGB(lightness, a, b)
        guard linear.allSatisfy({ $0 >= -1e-4 && $0 <= 1 + 1e-4 }) else { return nil }
        return encode(linear)
    }

    /// OKLab -> sRGB with each channel clamped into the gamut.
    private static func clamped(_ lightness: Double, _ a: Double, _ b: Double) -> Colour {
        encode(linearRGB(lightness, a, b))
    }

    /// OKLab -> linear sRGB (Ottosson 2020).
    private static func linearRGB(_ lightness: Double, _ a: Double, _ b: Double) -> [Double] {
        let l = pow(lightness + 0.3963377774 * a + 0.2158037573 * b, 3)
        let m = pow(lightness - 0.1055613458 * a - 0.0638541728 * b, 3)
        let s = pow(lightness - 0.0894841775 * a - 1.2914855480 * b, 3)
        return [4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s]
    }

    /// Linear sRGB -> 8-bit sRGB (the sRGB transfer function), clamped.
    private static func encode(_ linear: [Double]) -> Colour {
        let channels = linear.map { value -> UInt8 in
            let x = min(max(value, 0), 1)
            let encoded = x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1 / 2.4) - 0.055
            return UInt8((encoded * 255).rounded())
        }
        return Colour(red: channels[0], green: channels[1], blue: channels[2])
    }
}
