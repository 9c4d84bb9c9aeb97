@testable import csihar
import CSITestSupport
import Foundation
import Testing

/// `csihar plot` as a process: PNG through rsvg-convert (and the one-line failure naming the package when it is
/// missing), a headless Chromium screenshot of the SVG when Chromium is installed, and one-line errors naming the
/// missing file.
@Suite struct PlotOutputTests {
    private static let root = SharedData.repositoryRoot()
    private static let sample = "samples/living-room-intel5300.dat"

    /// The sample is there (else a printed skip).
    private func haveSample() -> Bool {
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(Self.sample).path) else {
            print("SKIP: \(Self.sample) is missing")
            return false
        }
        return true
    }

    @Test func pngThroughRsvgConvertOrOneLineNamingThePackage() throws {
        guard haveSample() else { return }
        let directory = try PlotTestTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let png = directory.appendingPathComponent("x.png").path

        // Without rsvg-convert on PATH: exit 1, one line naming the Debian package, no file.
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/nonexistent-csihar-plot"
        guard let missing = try runCsihar(["plot", Self.sample, "-o", png], environment: environment) else { return }
        print("without rsvg-convert: exit \(missing.status): \(missing.stderr)")
        #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1)
        #expect(missing.stderr.contains("librsvg2-bin") && !FileManager.default.fileExists(atPath: png))

        guard PlotTestTools.tool(["rsvg-convert"]) != nil else {
            // `make test` installs it (TEST_PACKAGES): missing, the PNG output is untested, which must not pass quietly.
            if ProcessInfo.processInfo.environment["CSIHAR_SKIP_PNG"] == "1" {
                print("SKIP (CSIHAR_SKIP_PNG=1): rsvg-convert is not installed: no PNG check")
            } else {
                let reason = "rsvg-convert is not installed (Debian librsvg2-bin, which `make test` installs); "
                    + "set CSIHAR_SKIP_PNG=1 to skip the PNG check"
                Issue.record(Comment(rawValue: reason))
            }
            return
        }
        guard let run = try runCsihar(["plot", Self.sample, "-o", png]) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        let size = PlotTestTools.pngSize(data)
        print("plot PNG: \(data.count) bytes, \(size.map { "\($0.width)x\($0.height)" } ?? "not a PNG")")
        #expect(size?.width == 1200 && (600...1000).contains(size?.height ?? 0))
        #expect(data.count > 30_000)
        guard let colours = try PlotTestTools.colours(ofPNG: png) else {
            print("SKIP: ImageMagick's convert is not installed: PNG colours not counted"); return
        }
        print("plot PNG: \(colours.distinct) colours, \(Int(colours.white * 100))% white")
        #expect(colours.distinct > 200 && colours.white < 0.6)
    }

    @Test func headlessChromiumScreenshotIsNotBlank() throws {
        guard let chromium = PlotTestTools.tool(["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) else {
            print("SKIP: Chromium is not installed: no headless screenshot of the SVG"); return
        }
        guard haveSample() else { return }
        let directory = try PlotTestTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("x.svg").path, shot = directory.appendingPathComponent("shot.png").path
        guard let run = try runCsihar(["plot", Self.sample, "-o", svg]) else { return }
        #expect(run.status == 0, "\(run.stderr)")
        let result = try PlotTestTools.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                      "--user-data-dir=\(directory.path)/profile", "--window-size=1200,800",
                                                      "--screenshot=\(shot)", "file://\(svg)"], timeout: 90)
        guard let data = FileManager.default.contents(atPath: shot) else {
            Issue.record("\(chromium) wrote no screenshot (exit \(result.status))"); return
        }
        #expect(PlotTestTools.pngSize(data)?.width == 1200)
        guard let colours = try PlotTestTools.colours(ofPNG: shot) else {
            print("SKIP: ImageMagick's convert is not installed: screenshot colours not counted"); return
        }
        print("Chromium screenshot: \(colours.distinct) colours, \(Int(colours.white * 100))% white")
        #expect(colours.distinct > 200 && colours.white < 0.7)
    }

    @Test func missingInputsAreOneLineNamingThePath() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-plot-\(getpid())-never.svg").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let cases: [([String], String)] = [
            (["plot", "samples/no-such-capture.dat", "-o", out], "samples/no-such-capture.dat"),
            (["plot", Self.sample, "--labels", "samples/no-such.labels.csv", "-o", out], "samples/no-such.labels.csv"),
            (["plot", Self.sample, "--model", "models/no-such.safetensors", "-o", out], "models/no-such.safetensors"),
        ]
        for (arguments, path) in cases {
            guard let run = try runCsihar(arguments) else { return }
            let lines = run.stderr.split(separator: "\n")
            print("csihar \(arguments.joined(separator: " ")): exit \(run.status): \(run.stderr)")
            #expect(run.status == 1 && lines.count == 1 && lines.first?.contains(path) == true)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        guard let wrong = try runCsihar(["plot", Self.sample, "-o", "picture.txt"]) else { return }
        #expect(wrong.status != 0 && wrong.stderr.contains(".svg or .png"))
    }
}
