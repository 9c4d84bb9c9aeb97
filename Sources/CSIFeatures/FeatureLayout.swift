/// The model input layout every source is mapped to: 3 antennas x 30 subcarriers (UT-HAR), feature
/// `f = 30 * antenna + s` with `s` in the Intel 5300 grouped-subcarrier order (csi-formats.md §1.7, §7.1).
public enum FeatureLayout {
    /// Layout name used in model configs and dataset metadata.
    public static let name = "3x30"
    /// Antennas per feature vector.
    public static let antennas = 3
    /// Subcarriers per antenna.
    public static let subcarriersPerAntenna = 30
    /// Features per time step (`antennas * subcarriersPerAntenna`).
    public static let features = antennas * subcarriersPerAntenna

    /// The 30 Intel 5300 grouped subcarrier indices at 20 MHz (Ng = 2), ascending.
    public static let intelSubcarriers20MHz: [Int] = [
        -28, -26, -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -4, -2, -1,
        1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 28,
    ]
    /// The 30 Intel 5300 grouped subcarrier indices at 40 MHz (Ng = 4): -58, -54, ..., -2, +2, ..., +58.
    public static let intelSubcarriers40MHz: [Int] =
        stride(from: -58, through: -2, by: 4).map { $0 } + stride(from: 2, through: 58, by: 4).map { $0 }
}
