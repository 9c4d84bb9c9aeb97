#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rectangular room with a transmitter, a 3-antenna receiver, furniture, and where the person starts.
///
/// Static propagation: the line of sight, first-order reflections off the 4 walls, floor and ceiling (image
/// sources), and single-bounce scattering off furniture points. Each path contributes
/// `gain * exp(-j 2 pi f d / c) / d` (d = path length), as in the model.
public struct Room: Sendable {
    /// Width along x (m).
    public var width: Double
    /// Depth along y (m).
    public var depth: Double
    /// Height (m).
    public var height: Double
    /// Transmitter antenna position.
    public var transmitter: Vector3
    /// Receive antennas (3, half a wavelength apart on a horizontal line).
    public var receivers: [Vector3]
    /// Amplitude reflection coefficients of the walls x=0, x=width, y=0, y=depth, floor, ceiling.
    public var wallReflectivity: [Double]
    /// Furniture point scatterers (position, amplitude reflectivity), including the chair and the bed.
    public var furniture: [(position: Vector3, reflectivity: Double)]
    /// Where the person stands at the start (on the floor).
    public var personStart: Vector3
    /// Initial facing direction of the person (radians from +x).
    public var personHeading: Double

    /// A random furnished room, 4-8 m x 4-8 m x 2.6-3.2 m, with the transmitter and receiver 2-5 m apart at
    /// 0.8-1.5 m height and the person near the line between them.
    public static func random(wavelength: Double, using random: inout SimulatorRandom) -> Room {
        let width = random.uniform(4, 8), depth = random.uniform(4, 8), height = random.uniform(2.6, 3.2)
        func inside(_ margin: Double, z: Double) -> Vector3 {
            Vector3(random.uniform(margin, width - margin), random.uniform(margin, depth - margin), z)
        }
        var transmitter = inside(0.3, z: random.uniform(0.8, 1.5))
        var receiverCentre = inside(0.3, z: random.uniform(0.8, 1.5))
        var tries = 0
        while (transmitter.distance(to: receiverCentre) < 2 || transmitter.distance(to: receiverCentre) > 5) && tries < 200 {
            transmitter = inside(0.3, z: transmitter.z)
            receiverCentre = inside(0.3, z: receiverCentre.z)
            tries += 1
        }
        // antenna line roughly perpendicular to the link, +-30 degrees
        let link = atan2(transmitter.y - receiverCentre.y, transmitter.x - receiverCentre.x)
        let axis = link + Double.pi / 2 + random.uniform(-0.5, 0.5)
        let spacing = wavelength / 2
        let receivers = (-1...1).map { i in
            receiverCentre + Vector3(Double(i) * spacing * cos(axis), Double(i) * spacing * sin(axis), 0)
        }
        let walls = (0..<6).map { _ in random.uniform(0.2, 0.5) }
        // person: within 1.2 m of the middle part of the link
        let t = random.uniform(0.3, 0.7)
        let onLink = Vector3.lerp(transmitter, receiverCentre, t)
        let offset = random.uniform(-1.2, 1.2)
        var person = Vector3(onLink.x + offset * cos(link + Double.pi / 2), onLink.y + offset * sin(link + Double.pi / 2), 0)
        person.x = min(max(person.x, 0.6), width - 0.6)
        person.y = min(max(person.y, 0.6), depth - 0.6)
        let heading = random.uniform(-Double.pi, Double.pi)
        var furniture: [(position: Vector3, reflectivity: Double)] = []
        for _ in 0..<Int(random.uniform(4, 9)) {
            furniture.append((inside(0.2, z: random.uniform(0.1, 1.8)), random.uniform(0.05, 0.3)))
        }
        // chair and bed under the person's sitting/lying positions
        furniture.append((person + Vector3(0, 0, 0.45), 0.15))
        furniture.append((person + Vector3(0.4 * cos(heading), 0.4 * sin(heading), 0.4), 0.25))
        return Room(width: width, depth: depth, height: height, transmitter: transmitter, receivers: receivers,
                    wallReflectivity: walls, furniture: furniture, personStart: person, personHeading: heading)
    }

    /// The static (non-LOS) paths to receive antenna `antenna` as (length in m, amplitude gain) pairs:
    /// wall/floor/ceiling images with a sign flip, then furniture bounces.
    public func staticPaths(antenna: Int) -> [(length: Double, gain: Double)] {
        let rx = receivers[antenna]
        let tx = transmitter
        let images = [
            Vector3(-tx.x, tx.y, tx.z), Vector3(2 * width - tx.x, tx.y, tx.z),
            Vector3(tx.x, -tx.y, tx.z), Vector3(tx.x, 2 * depth - tx.y, tx.z),
            Vector3(tx.x, tx.y, -tx.z), Vector3(tx.x, tx.y, 2 * height - tx.z),
        ]
        var paths = zip(images, wallReflectivity).map { (length: $0.distance(to: rx), gain: -$1) }
        for item in furniture {
            paths.append((length: tx.distance(to: item.position) + item.position.distance(to: rx), gain: item.reflectivity))
        }
        return paths
    }

    /// The person's walkable floor area.
    public var bounds: (minX: Double, maxX: Double, minY: Double, maxY: Double) { (0, width, 0, depth) }
}
