package io.bimm.flink.dataset;

import java.util.Locale;

/**
 * The classes of the generated motion set: four translation directions and two kinds of scaling.
 * Appearance (shape, textures, colours, speed, position) is drawn the same way for every class, so
 * only the motion tells them apart.
 */
public enum MotionClass {
    RIGHT(1, 0, 0),
    LEFT(-1, 0, 0),
    UP(0, -1, 0),
    DOWN(0, 1, 0),
    EXPAND(0, 0, 1),
    CONTRACT(0, 0, -1);

    final int dx;
    final int dy;
    final int grow;

    MotionClass(int dx, int dy, int grow) {
        this.dx = dx;
        this.dy = dy;
        this.grow = grow;
    }

    /** The folder name: the class name in lower case. */
    public String folder() {
        return name().toLowerCase(Locale.ROOT);
    }
}
