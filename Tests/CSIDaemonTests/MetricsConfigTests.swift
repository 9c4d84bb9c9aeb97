import Foundation
import Testing
@testable import CSIDaemon

/// `[metrics]` in csihard.toml and `MetricsListenAddress`: accepted forms, every bad value naming file, line and key,
/// a change reported as restart-only.
@Suite struct MetricsConfigTests {
    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464, "127.0.0.1"),
        ("0.0.0.0:1", "0.0.0.0", 1, "0.0.0.0"),
        ("[::1]:9464", "::1", 9464, "::1"),
        ("[::]:65535", "::", 65535, "::"),
        ("localhost:9100", "localhost", 9100, "127.0.0.1"),
    ])
    func listenAddressesAreAccepted(text: String, host: String, port: Int, bindHost: String) throws {
        let address = try MetricsListenAddress(parsing: text)
        #expect(address.host == host && address.port == port && address.bindHost == bindHost)
        #expect(address.description == text)
        let settings = try DaemonConfigFile.parse("[metrics]\nlisten = \"\(text)\"\n", path: "m.toml")
        #expect(settings.metricsListen == address)
    }

    @Test func metricsAreOffByDefault() throws {
        #expect(DaemonSettings().metricsListen == nil)
        #expect(try DaemonConfigFile.parse("", path: "e.toml").metricsListen == nil)
        #expect(try DaemonConfigFile.parse("[metrics]\nlisten = \"\"\n", path: "e.toml").metricsListen == nil, "empty: off")
    }

    @Test(arguments: [
        ("[metrics]\nlisten = \"9464\"\n", "bad.toml:2: metrics.listen: '9464': expected HOST:PORT, e.g. 127.0.0.1:9464"),
        ("[metrics]\nlisten = \"127.0.0.1:0\"\n", "bad.toml:2: metrics.listen: '127.0.0.1:0': the port must be a number within 1...65535"),
        ("[metrics]\nlisten = \"127.0.0.1:65536\"\n", "bad.toml:2: metrics.listen: '127.0.0.1:65536': the port must be a number"),
        ("[metrics]\nlisten = \"127.0.0.1:http\"\n", "bad.toml:2: metrics.listen: '127.0.0.1:http': the port must be a number"),
        ("[metrics]\nlisten = \"127.0.0.1:+80\"\n", "bad.toml:2: metrics.listen: '127.0.0.1:+80': the port must be a number"),
        ("[metrics]\nlisten = \":9464\"\n", "bad.toml:2: metrics.listen: ':9464': the host is missing"),
        ("[metrics]\nlisten = \"prometheus.lan:9464\"\n",
         "bad.toml:2: metrics.listen: 'prometheus.lan:9464': 'prometheus.lan' is not an IPv4 address, a bracketed IPv6 address or localhost"),
        ("[metrics]\nlisten = \"256.1.1.1:9464\"\n", "bad.toml:2: metrics.listen: '256.1.1.1:9464': '256.1.1.1' is not an IPv4 address"),
        ("[metrics]\nlisten = \"::1:9464\"\n", "bad.toml:2: metrics.listen: '::1:9464': an IPv6 address goes in brackets, e.g. [::1]:9464"),
        ("[metrics]\nlisten = \"[::1:9464\"\n", "bad.toml:2: metrics.listen: '[::1:9464': an IPv6 address needs a closing ']'"),
        ("[metrics]\nlisten = \"[fe80::zz]:9464\"\n", "bad.toml:2: metrics.listen: '[fe80::zz]:9464': 'fe80::zz' is not an IPv6 address"),
        ("[metrics]\nlisten = 9464\n", "bad.toml:2: metrics.listen: must be a string, not a"),
        ("[metrics]\nport = 9464\n", "bad.toml:2: metrics.port: unknown key"),
    ])
    func badMetricsValuesNameFileLineAndKey(text: String, message: String) {
        expectConfigRejected(text, message)
    }

    @Test func changingTheAddressIsRestartOnly() throws {
        let old = DaemonSettings()
        var new = old
        new.metricsListen = try MetricsListenAddress(parsing: "127.0.0.1:9464")
        #expect(Daemon.restartOnlyChanges(from: old, to: new) == ["metrics.listen"])
        #expect(DaemonConfigFile.knownKeys.contains("metrics.listen"))
    }

    @Test func theShippedConfigHasACommentedMetricsTable() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/systemd/csihard.toml", encoding: .utf8)
        #expect(text.contains("#   [metrics]\n#   listen = \"127.0.0.1:9464\"\n"))
        // Uncommented, the example parses.
        let example = "[metrics]\nlisten = \"127.0.0.1:9464\"\n"
        #expect(try DaemonConfigFile.parse(example, path: "x.toml").metricsListen?.port == 9464)
    }
}
