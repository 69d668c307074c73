package io.bimm.flink.testutil;

import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** VideoClip records for the preprocessing tests: the sample videos and broken inputs. */
public final class Clips {
    private Clips() {}

    /** A clip record {@code id} (source URI {@code test:id}) holding {@code data}. */
    public static VideoClip of(String id, byte[] data) {
        return VideoClip.newBuilder()
                .setClipId(id)
                .setSourceUri("test:" + id)
                .setSegmentIndex(0)
                .setContainer("")
                .setCodec("")
                .setData(ByteBuffer.wrap(data))
                .setFrameRate(30)
                .setWidth(0)
                .setHeight(0)
                .setDurationMicros(0)
                .setIngestTimestamp(Instant.EPOCH)
                .setMetadata(Map.of())
                .build();
    }

    /** The four sample videos, whole, as clips named after their files. */
    public static List<VideoClip> sampleVideos() {
        List<VideoClip> clips = new ArrayList<>();
        for (String v : new String[] {"Megamind.avi", "Megamind_bugy.avi", "box.mp4", "cup.mp4"}) {
            clips.add(of(v, Videos.bytes(v)));
        }
        return clips;
    }

    /**
     * Clips that must become dead letters: {@code random} (10,000 seeded random bytes), {@code
     * truncated} (the first 4 KiB of box.mp4), {@code short} (header and first 6 frames of
     * Megamind.avi: decodes, but a window of 8 frames does not fit) and {@code huge} (a 16k x 16k
     * header).
     */
    public static List<VideoClip> brokenInputs() {
        byte[] random = new byte[10_000];
        new Random(4).nextBytes(random);
        return List.of(
                of("random", random),
                of("truncated", Arrays.copyOf(Videos.bytes("box.mp4"), 4096)),
                of("short", Arrays.copyOf(Videos.bytes("Megamind.avi"), 60_000)),
                of("huge", Videos.header16k()));
    }
}
