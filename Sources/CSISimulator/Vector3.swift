/// A point or displacement in room coordinates (metres): x along the room width, y along its depth, z up.
public struct Vector3: Sendable, Hashable {
    /// x (m).
    public var x: Double
    /// y (m).
    public var y: Double
    /// z (m), height above the floor.
    public var z: Double

    /// Creates a vector.
    public init(_ x: Double, _ y: Double, _ z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// The zero vector.
    public static let zero = Vector3(0, 0, 0)

    /// Euclidean length.
    public var length: Double { (x * x + y * y + z * z).squareRoot() }

    /// Sum.
    public static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    /// Difference.
    public static func - (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x - b.x, a.y - b.y, a.z - b.z) }
    /// Scaling.
    public static func * (s: Double, a: Vector3) -> Vector3 { Vector3(s * a.x, s * a.y, s * a.z) }

    /// Distance to `other`.
    public func distance(to other: Vector3) -> Double { (self - other).length }

    /// Linear interpolation `a + t (b - a)`.
    public static func lerp(_ a: Vector3, _ b: Vector3, _ t: Double) -> Vector3 { a + t * (b - a) }

    /// Distance from this point to the segment `a`-`b`.
    public func distance(toSegment a: Vector3, _ b: Vector3) -> Double {
        let ab = b - a
        let lengthSquared = ab.x * ab.x + ab.y * ab.y + ab.z * ab.z
        guard lengthSquared > 0 else { return distance(to: a) }
        let ap = self - a
        let t = min(max((ap.x * ab.x + ap.y * ab.y + ap.z * ab.z) / lengthSquared, 0), 1)
        return distance(to: a + t * ab)
    }
}
