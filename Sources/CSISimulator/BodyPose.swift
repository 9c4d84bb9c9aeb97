/// The body as a set of point scatterers in the person's own frame (metres): x forward, y left, z up, origin on
/// the floor under the pelvis of the standing person. Each part has a reflectivity (share of the radar cross
/// section: the torso dominates, then legs, head and arms).
public struct BodyPose: Sendable, Hashable {
    /// Body parts, in `points` order.
    public enum Part: Int, CaseIterable, Sendable {
        /// Head.
        case head
        /// Chest (upper torso).
        case chest
        /// Pelvis (lower torso).
        case pelvis
        /// Left elbow.
        case leftElbow
        /// Right elbow.
        case rightElbow
        /// Left hand.
        case leftHand
        /// Right hand.
        case rightHand
        /// Left knee.
        case leftKnee
        /// Right knee.
        case rightKnee
        /// Left foot.
        case leftFoot
        /// Right foot.
        case rightFoot
    }

    /// Reflection coefficient of each part (amplitude, relative to a unit reflector), in ``Part`` order.
    public static let reflectivity: [Double] = [0.10, 0.30, 0.25, 0.05, 0.05, 0.06, 0.06, 0.08, 0.08, 0.05, 0.05]

    /// Part positions in the body frame, (11,).
    public var points: [Vector3]

    /// Creates a pose from 11 points in ``Part`` order.
    public init(_ points: [Vector3]) {
        precondition(points.count == Part.allCases.count, "BodyPose needs \(Part.allCases.count) points")
        self.points = points
    }

    /// Linear blend of two poses.
    public static func lerp(_ a: BodyPose, _ b: BodyPose, _ t: Double) -> BodyPose {
        BodyPose(zip(a.points, b.points).map { Vector3.lerp($0, $1, t) })
    }

    /// The pose scaled to a person `scale` times the reference height (1.75 m).
    public func scaled(_ scale: Double) -> BodyPose { BodyPose(points.map { scale * $0 }) }

    /// Moves one part by `offset`.
    public mutating func move(_ part: Part, by offset: Vector3) { points[part.rawValue] = points[part.rawValue] + offset }

    /// Standing upright, arms down.
    public static let standing = BodyPose([
        Vector3(0, 0, 1.65), Vector3(0, 0, 1.35), Vector3(0, 0, 1.0),
        Vector3(0, 0.2, 1.1), Vector3(0, -0.2, 1.1), Vector3(0, 0.22, 0.8), Vector3(0, -0.22, 0.8),
        Vector3(0.02, 0.1, 0.5), Vector3(0.02, -0.1, 0.5), Vector3(0, 0.1, 0.05), Vector3(0, -0.1, 0.05),
    ])

    /// Seated on a chair (seat 0.45 m), hands on the thighs.
    public static let sitting = BodyPose([
        Vector3(-0.03, 0, 1.15), Vector3(-0.05, 0, 0.85), Vector3(-0.05, 0, 0.5),
        Vector3(0.05, 0.2, 0.65), Vector3(0.05, -0.2, 0.65), Vector3(0.3, 0.18, 0.6), Vector3(0.3, -0.18, 0.6),
        Vector3(0.4, 0.1, 0.5), Vector3(0.4, -0.1, 0.5), Vector3(0.45, 0.1, 0.05), Vector3(0.45, -0.1, 0.05),
    ])

    /// Seated with the torso leaned forward over the feet (the first phase of standing up).
    public static let leaningForward = BodyPose([
        Vector3(0.3, 0, 1.0), Vector3(0.15, 0, 0.8), Vector3(-0.02, 0, 0.5),
        Vector3(0.2, 0.2, 0.6), Vector3(0.2, -0.2, 0.6), Vector3(0.35, 0.18, 0.55), Vector3(0.35, -0.18, 0.55),
        Vector3(0.38, 0.1, 0.5), Vector3(0.38, -0.1, 0.5), Vector3(0.3, 0.1, 0.05), Vector3(0.3, -0.1, 0.05),
    ])

    /// Lying on the back on a bed (surface 0.45 m), head forward (+x).
    public static let lyingOnBed = BodyPose([
        Vector3(0.85, 0, 0.57), Vector3(0.5, 0, 0.6), Vector3(0.05, 0, 0.56),
        Vector3(0.3, 0.25, 0.52), Vector3(0.3, -0.25, 0.52), Vector3(0.05, 0.25, 0.5), Vector3(0.05, -0.25, 0.5),
        Vector3(-0.4, 0.1, 0.56), Vector3(-0.4, -0.1, 0.56), Vector3(-0.85, 0.1, 0.5), Vector3(-0.85, -0.1, 0.5),
    ])

    /// Bent over to the floor (picking something up), knees slightly bent.
    public static let bentOver = BodyPose([
        Vector3(0.45, 0, 1.0), Vector3(0.25, 0, 1.0), Vector3(-0.1, 0, 0.8),
        Vector3(0.35, 0.2, 0.55), Vector3(0.35, -0.2, 0.55), Vector3(0.45, 0.15, 0.12), Vector3(0.45, -0.15, 0.12),
        Vector3(0.12, 0.12, 0.45), Vector3(0.12, -0.12, 0.45), Vector3(0, 0.1, 0.05), Vector3(0, -0.1, 0.05),
    ])

    /// On the floor after a forward fall, arms out.
    public static let fallen = BodyPose([
        Vector3(1.45, 0.1, 0.12), Vector3(1.1, 0.05, 0.15), Vector3(0.7, 0, 0.12),
        Vector3(1.3, 0.35, 0.1), Vector3(1.3, -0.3, 0.1), Vector3(1.55, 0.5, 0.06), Vector3(1.5, -0.45, 0.06),
        Vector3(0.25, 0.12, 0.1), Vector3(0.25, -0.1, 0.1), Vector3(-0.2, 0.15, 0.06), Vector3(-0.2, -0.1, 0.06),
    ])
}
