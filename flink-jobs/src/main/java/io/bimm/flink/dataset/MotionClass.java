package io.bimm.flink.dataset;

import java.util.Locale;

/**
 * The classes of the generated motion sets. Set {@code directions}: four translation directions and
 * two of scaling. Set {@code kinds}: five kinds of motion, each in a random direction: none, a
 * translation, a scaling, a rotation, the texture drifting inside a still outline. Set {@code
 * speeds}: none, or a translation at half, one, two or four times a drawn speed. Set {@code
 * layers}: which of two transparent colour layers move. Appearance (shape, textures, colours,
 * speed, position) is drawn the same way for every class, so only the motion tells them apart.
 */
public enum MotionClass {
    RIGHT(1, 0, 0),
    LEFT(-1, 0, 0),
    UP(0, -1, 0),
    DOWN(0, 1, 0),
    EXPAND(0, 0, 1),
    CONTRACT(0, 0, -1),
    STILL(0, 0, 0),
    TRANSLATE(0, 0, 0),
    SCALE(0, 0, 0),
    SPIN(0, 0, 0),
    DRIFT(0, 0, 0),
    SLOW(0, 0, 0),
    STEADY(0, 0, 0),
    FAST(0, 0, 0),
    RAPID(0, 0, 0),
    NEITHER(0, 0, 0),
    RED(0, 0, 0),
    BLUE(0, 0, 0),
    BOTH(0, 0, 0);

    /** The class set of direction (the default of {@code bimm gen-dataset}). */
    public static final java.util.List<MotionClass> DIRECTIONS =
            java.util.List.of(RIGHT, LEFT, UP, DOWN, EXPAND, CONTRACT);

    /** The class set of kinds of motion. */
    public static final java.util.List<MotionClass> KINDS =
            java.util.List.of(STILL, TRANSLATE, SCALE, SPIN, DRIFT);

    /**
     * The class set of speeds: every shape translates in a random direction at the class's speed
     * ({@link #speedFactor()}: none, half, one, two or four times the drawn base speed).
     */
    public static final java.util.List<MotionClass> SPEEDS =
            java.util.List.of(STILL, SLOW, STEADY, FAST, RAPID);

    /**
     * The class set of layers: a red and a blue transparent texture layer over a static grey
     * texture; the class says which layers move ({@link LayerVideo}).
     */
    public static final java.util.List<MotionClass> LAYERS =
            java.util.List.of(NEITHER, RED, BLUE, BOTH);

    /** A class set by name: {@code directions}, {@code kinds}, {@code speeds} or {@code layers}. */
    public static java.util.List<MotionClass> set(String name) {
        switch (name) {
            case "directions":
                return DIRECTIONS;
            case "kinds":
                return KINDS;
            case "speeds":
                return SPEEDS;
            case "layers":
                return LAYERS;
            default:
                throw new IllegalArgumentException(
                        "Unknown class set '"
                                + name
                                + "', expected directions, kinds, speeds or layers.");
        }
    }

    final int dx;
    final int dy;
    final int grow;

    MotionClass(int dx, int dy, int grow) {
        this.dx = dx;
        this.dy = dy;
        this.grow = grow;
    }

    /**
     * The multiple of the drawn base speed at which a speed class translates (0 for {@link #STILL},
     * 1 for every class outside the speed set, whose speed is the drawn one).
     */
    double speedFactor() {
        switch (this) {
            case SLOW:
                return 0.5;
            case FAST:
                return 2;
            case RAPID:
                return 4;
            default:
                return 1;
        }
    }

    /** Whether this is one of the speed set's moving classes. */
    boolean translatesAtSpeed() {
        return this == SLOW || this == STEADY || this == FAST || this == RAPID;
    }

    /** Whether this is one of the layer set's classes. */
    boolean isLayerClass() {
        return LAYERS.contains(this);
    }

    /** In the layer set, whether the red layer moves. */
    boolean redMoves() {
        return this == RED || this == BOTH;
    }

    /** In the layer set, whether the blue layer moves. */
    boolean blueMoves() {
        return this == BLUE || this == BOTH;
    }

    /** The folder name: the class name in lower case. */
    public String folder() {
        return name().toLowerCase(Locale.ROOT);
    }
}
