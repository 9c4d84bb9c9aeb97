#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The moving person: where the body parts are at any time of an ``ActivityScript``.
///
/// Every segment blends from the pose the previous one ended in. Walking and running move the body along its
/// heading (turning at the walls) with a periodic gait; the other activities interpolate between key poses with
/// smooth easing over 85-95% of their segment after a short random onset (the label interval is the motion);
/// `fall` follows a gravity-like t^2 profile over 0.6-0.9 s, then recoil and settling movements decay.
/// Breathing (5 mm, ~0.25 Hz) and a slow sway keep "still" bodies slightly alive, as real ones are.
public struct BodyMotion: Sendable {
    /// Person height relative to 1.75 m.
    public var scale: Double
    /// Walking speed (m/s).
    public var walkSpeed: Double
    /// Running speed (m/s).
    public var runSpeed: Double
    /// Steps per second while walking (one gait cycle = 2 steps).
    public var walkCadence: Double
    /// Steps per second while running.
    public var runCadence: Double
    /// Breathing rate (Hz).
    public var breathingRate: Double
    /// Room floor bounds the person stays inside (x, y min/max, metres).
    public var bounds: (minX: Double, maxX: Double, minY: Double, maxY: Double)

    /// Per-segment state: where the segment starts and the pose it starts from.
    private struct Plan: Sendable {
        var segment: ActivitySegment
        var startRoot: Vector3
        var startHeading: Double
        var startPose: BodyPose
        var onset: Double         // fraction of the segment before the motion starts
        var motionFraction: Double // fraction of the segment the motion takes
    }
    private var plans: [Plan] = []

    /// Plans the motion of `script` for a person starting at `root` facing `heading` (radians), standing.
    public init(script: ActivityScript, root: Vector3, heading: Double,
                bounds: (minX: Double, maxX: Double, minY: Double, maxY: Double), random: inout SimulatorRandom) {
        scale = random.uniform(0.9, 1.08)
        walkSpeed = random.uniform(1.1, 1.5)
        runSpeed = random.uniform(2.5, 3.5)
        walkCadence = random.uniform(1.7, 2.1)
        runCadence = random.uniform(2.6, 3.1)
        breathingRate = random.uniform(0.2, 0.33)
        self.bounds = bounds
        var currentRoot = root
        var currentHeading = heading
        var currentPose = BodyPose.standing
        for segment in script.segments {
            let plan = Plan(segment: segment, startRoot: currentRoot, startHeading: currentHeading,
                            startPose: currentPose, onset: random.uniform(0.0, 0.08),
                            motionFraction: random.uniform(0.85, 0.95))
            plans.append(plan)
            let end = state(plan, at: segment.end)
            currentRoot = end.root
            currentHeading = end.heading
            currentPose = end.pose
        }
    }

    /// World positions of the body parts at time `t` (seconds from the recording start), (11,).
    public func scatterers(at t: Double) -> [Vector3] {
        guard let plan = plans.last(where: { $0.segment.start <= t }) ?? plans.first else { return [] }
        let s = state(plan, at: t)
        let c = cos(s.heading), si = sin(s.heading)
        var pose = s.pose
        // breathing: chest/pelvis move along the body's front (up when lying: small z term) and a slow sway
        let breath = 0.005 * sin(2 * Double.pi * breathingRate * t)
        pose.move(.chest, by: Vector3(breath, 0, breath * 0.5))
        pose.move(.pelvis, by: Vector3(breath * 0.6, 0, 0))
        let sway = Vector3(0.006 * sin(0.7 * t + 1.3), 0.006 * sin(0.53 * t + 0.4), 0)
        return pose.scaled(scale).points.map { p in
            Vector3(s.root.x + c * p.x - si * p.y + sway.x, s.root.y + si * p.x + c * p.y + sway.y, p.z)
        }
    }

    /// Smooth 0 -> 1 (cubic ease in-out).
    private static func ease(_ u: Double) -> Double {
        let x = min(max(u, 0), 1)
        return x * x * (3 - 2 * x)
    }

    /// Root, heading and body-frame pose at time `t` inside `plan`'s segment.
    private func state(_ plan: Plan, at t: Double) -> (root: Vector3, heading: Double, pose: BodyPose) {
        let segment = plan.segment
        let local = max(0, t - segment.start)
        let u = local / max(segment.duration, 1e-9)
        // progress of the motion inside the segment
        let m = (u - plan.onset) / plan.motionFraction
        switch segment.activity {
        case .idle:
            return (plan.startRoot, plan.startHeading, plan.startPose)
        case .walk, .run:
            let running = segment.activity == .run
            let speed = running ? runSpeed : walkSpeed
            let cadence = running ? runCadence : walkCadence
            let (root, heading) = travel(from: plan.startRoot, heading: plan.startHeading, distance: speed * local)
            // blend out of the previous pose during the first 0.3 s
            let gaitPose = gait(phase: 2 * Double.pi * cadence / 2 * local, running: running)
            let blend = Self.ease(local / 0.3)
            return (root, heading, BodyPose.lerp(plan.startPose, gaitPose, blend))
        case .sitDown:
            // controlled descent: fast start, slow settling into the seat
            let x = min(max(m, 0), 1)
            return (plan.startRoot, plan.startHeading, BodyPose.lerp(plan.startPose, .sitting, 1 - (1 - x) * (1 - x)))
        case .standUp:
            // lean the torso forward over the feet first, then rise (not a time-reversed sit down)
            let leaning = BodyPose.lerp(plan.startPose, .leaningForward, 1)
            if m < 0.35 {
                return (plan.startRoot, plan.startHeading, BodyPose.lerp(plan.startPose, leaning, Self.ease(m / 0.35)))
            }
            return (plan.startRoot, plan.startHeading, BodyPose.lerp(leaning, .standing, Self.ease((m - 0.35) / 0.65)))
        case .pickUp:
            let bump = sin(Double.pi * min(max(m, 0), 1))
            return (plan.startRoot, plan.startHeading, BodyPose.lerp(plan.startPose, .bentOver, bump * bump))
        case .fall:
            // 0.6-0.9 s of accelerating (t^2) motion to the floor, then impact recoil and settling movements that
            // die out over the rest of the segment
            let fallSeconds = min(0.6 + 0.3 * plan.motionFraction, 0.8 * segment.duration)
            let onsetSeconds = plan.onset * segment.duration
            let f = min(max((local - onsetSeconds) / fallSeconds, 0), 1)
            var pose = BodyPose.lerp(plan.startPose, .fallen, f * f)
            let after = local - onsetSeconds - fallSeconds
            if after > 0 {
                let decay = exp(-after / 0.4)
                let shake = 0.08 * decay * sin(2 * Double.pi * 3.0 * after)
                pose.move(.leftHand, by: Vector3(shake, 0.5 * shake, 0.3 * abs(shake)))
                pose.move(.rightHand, by: Vector3(-shake, 0.4 * shake, 0.3 * abs(shake)))
                pose.move(.head, by: Vector3(0.3 * shake, 0, 0.4 * abs(shake)))
                pose.move(.leftFoot, by: Vector3(0.5 * shake, 0, 0))
                pose.move(.chest, by: Vector3(0, 0, 0.3 * abs(shake)))
            }
            return (plan.startRoot, plan.startHeading, pose)
        case .lieDown:
            // sit on the bed edge, then swing onto it
            if m < 0.5 {
                return (plan.startRoot, plan.startHeading, BodyPose.lerp(plan.startPose, .sitting, Self.ease(2 * m)))
            }
            return (plan.startRoot, plan.startHeading, BodyPose.lerp(.sitting, .lyingOnBed, Self.ease(2 * m - 1)))
        }
    }

    /// Walking pose at gait phase `phase` (radians; one cycle = two steps).
    private func gait(phase: Double, running: Bool) -> BodyPose {
        var pose = BodyPose.standing
        let stride = running ? 0.45 : 0.3
        let swing = sin(phase)
        let lift = running ? 0.18 : 0.08
        pose.move(.leftFoot, by: Vector3(stride * swing, 0, lift * max(0, sin(phase + Double.pi / 2))))
        pose.move(.rightFoot, by: Vector3(-stride * swing, 0, lift * max(0, -sin(phase + Double.pi / 2))))
        pose.move(.leftKnee, by: Vector3(0.5 * stride * swing + 0.05, 0, 0.02))
        pose.move(.rightKnee, by: Vector3(-0.5 * stride * swing + 0.05, 0, 0.02))
        let arm = running ? 0.3 : 0.18
        pose.move(.leftHand, by: Vector3(-arm * swing, 0, running ? 0.25 : 0))
        pose.move(.rightHand, by: Vector3(arm * swing, 0, running ? 0.25 : 0))
        pose.move(.leftElbow, by: Vector3(-0.4 * arm * swing, 0, 0))
        pose.move(.rightElbow, by: Vector3(0.4 * arm * swing, 0, 0))
        let bob = (running ? 0.06 : 0.025) * abs(cos(phase))
        let lean = running ? 0.12 : 0.03
        pose.move(.pelvis, by: Vector3(0, 0, bob))
        pose.move(.chest, by: Vector3(lean * 0.6, 0, bob))
        pose.move(.head, by: Vector3(lean, 0, bob))
        return pose
    }

    /// Moves `distance` metres along `heading`, reflecting off the room bounds (0.5 m margin): each coordinate
    /// is unfolded along a straight line and folded back into the box (a triangle wave).
    private func travel(from start: Vector3, heading: Double, distance: Double) -> (Vector3, Double) {
        func fold(_ value: Double, _ low: Double, _ high: Double) -> (Double, Double) {
            let span = max(high - low, 1e-6)
            var p = (value - low).truncatingRemainder(dividingBy: 2 * span)
            if p < 0 { p += 2 * span }
            return p <= span ? (low + p, 1) : (low + 2 * span - p, -1)
        }
        let startX = min(max(start.x, bounds.minX + 0.5), bounds.maxX - 0.5)
        let startY = min(max(start.y, bounds.minY + 0.5), bounds.maxY - 0.5)
        let (x, sx) = fold(startX + cos(heading) * distance, bounds.minX + 0.5, bounds.maxX - 0.5)
        let (y, sy) = fold(startY + sin(heading) * distance, bounds.minY + 0.5, bounds.maxY - 0.5)
        return (Vector3(x, y, 0), atan2(sy * sin(heading), sx * cos(heading)))
    }
}
