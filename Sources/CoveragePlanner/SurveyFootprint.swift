import TianyanModel

/// What one photo covers on flat ground and how far apart lanes and photos are (the survey-grid
/// formulas of QGroundControl's camera calculator): at altitude `h` a camera with sensor `Sw × Sh`
/// mm, focal length `f` mm and `Iw × Ih` pixels sees `h·Sw/f × h·Sh/f` metres with the long side
/// across the track.
public struct SurveyFootprint: Hashable, Sendable, Codable {
    public var altitudeMetres: Double
    /// Ground sample distance, centimetres per pixel: `h · Sw · 100 / (Iw · f)`.
    public var groundSampleDistanceCentimetres: Double
    /// Footprint across the track, metres: `h · Sw / f`.
    public var widthMetres: Double
    /// Footprint along the track, metres: `h · Sh / f`.
    public var heightMetres: Double
    /// Distance between lanes: width × (1 − side overlap).
    public var laneSpacingMetres: Double
    /// Distance between photos along a lane: height × (1 − front overlap).
    public var triggerDistanceMetres: Double

    public init(camera: DockProfile.Camera, altitudeMetres h: Double, sideOverlap: Double, frontOverlap: Double) {
        altitudeMetres = h
        let f = camera.focalLengthMillimetres
        groundSampleDistanceCentimetres = h * camera.sensorWidthMillimetres * 100 / (Double(camera.imageWidthPixels) * f)
        widthMetres = h * camera.sensorWidthMillimetres / f
        heightMetres = h * camera.sensorHeightMillimetres / f
        laneSpacingMetres = widthMetres * (1 - sideOverlap)
        triggerDistanceMetres = heightMetres * (1 - frontOverlap)
    }
}
