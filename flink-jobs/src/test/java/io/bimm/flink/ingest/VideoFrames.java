package io.bimm.flink.ingest;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/** Test helper: decodes every video frame of a file or an in-memory container with JavaCV. */
final class VideoFrames {

    /** Frame count, width and height of what FFmpeg decodes. */
    record Decoded(int frames, int width, int height) {}

    private VideoFrames() {}

    static Decoded decode(Path file) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            return decode(g);
        }
    }

    static Decoded decode(byte[] container) throws Exception {
        try (FFmpegFrameGrabber g =
                new FFmpegFrameGrabber(new ByteArrayInputStream(container), container.length)) {
            return decode(g);
        }
    }

    private static Decoded decode(FFmpegFrameGrabber g) throws Exception {
        g.start();
        int frames = 0;
        int w = 0;
        int h = 0;
        Frame f;
        while ((f = g.grabImage()) != null) {
            frames++;
            w = f.imageWidth;
            h = f.imageHeight;
        }
        g.stop();
        return new Decoded(frames, w, h);
    }
}
