package io.bimm.flink.cli;

import io.bimm.flink.decode.ClipDecoder;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.DecodedClip;
import io.bimm.flink.job.RecordDecoding;
import io.bimm.schemas.VideoClip;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * {@code bimm demo}'s still images (docs/images.md): the project ships none, so the demo writes a
 * few small JPEGs from frames of the sample clips it ingested, decoded by {@link ClipDecoder} at
 * {@value #SIZE} pixels (a random window, crop and flip per draw), for {@code ingest --images} to
 * send to the images topic as a user's photos would be.
 */
final class DemoImages {

    /** Side of the square images, above the tiny preset's S = 112 so the job crops them. */
    static final int SIZE = 128;

    private static final int DRAWS_PER_CLIP = 4;

    private DemoImages() {}

    /**
     * Writes up to {@code count} JPEGs into {@code dir} (created; earlier demo images replaced),
     * {@value #DRAWS_PER_CLIP} frames per clip, clips in order; returns the files. A clip that does
     * not decode gives none.
     */
    static List<Path> write(List<VideoClip> clips, Path dir, int count) throws IOException {
        Files.createDirectories(dir);
        try (var old = Files.newDirectoryStream(dir, "frame-*.jpg")) {
            for (Path p : old) {
                Files.delete(p);
            }
        }
        DecodeOptions options =
                DecodeOptions.builder().optSize(SIZE).optFrames(2).optStride(1).build();
        int[] draws = new int[DRAWS_PER_CLIP];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = i;
        }
        List<Path> out = new ArrayList<>();
        try (ClipDecoder decoder = new ClipDecoder(options)) {
            for (VideoClip clip : clips) {
                if (out.size() >= count) {
                    break;
                }
                List<DecodedClip> windows;
                try {
                    windows =
                            decoder.decode(
                                    RecordDecoding.bytes(clip.getData()),
                                    String.valueOf(clip.getClipId()),
                                    0,
                                    draws);
                } catch (DecodeException e) {
                    continue;
                }
                for (DecodedClip w : windows) {
                    if (out.size() >= count) {
                        break;
                    }
                    Path file = dir.resolve(String.format("frame-%03d.jpg", out.size()));
                    if (!ImageIO.write(image(w.x()[0]), "jpg", file.toFile())) {
                        throw new IOException("No JPEG writer for " + file);
                    }
                    out.add(file);
                }
            }
        }
        return out;
    }

    /** An RGB (SIZE, SIZE, 3) uint8 frame as an image. */
    private static BufferedImage image(byte[] rgb) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int i = (y * SIZE + x) * 3;
                img.setRGB(
                        x,
                        y,
                        (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF));
            }
        }
        return img;
    }
}
