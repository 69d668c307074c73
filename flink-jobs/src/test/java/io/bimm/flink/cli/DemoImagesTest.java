package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.ingest.ImageProbe;
import io.bimm.flink.testutil.Clips;
import io.bimm.schemas.VideoClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's frame images: small JPEGs of the sample videos' frames, different from each other,
 * that the training job's image path takes; a damaged video gives none, and a second demo replaces
 * the first one's images.
 */
class DemoImagesTest {

    @Test
    void framesOfTheSampleVideosBecomeSmallDistinctJpegsTheImagePathTakes(@TempDir Path dir)
            throws Exception {
        List<VideoClip> clips = Clips.sampleVideos(); // Megamind_bugy.avi among them, damaged
        Path out = dir.resolve("demo-images");
        Files.createDirectories(out);
        Files.write(out.resolve("frame-999.jpg"), new byte[] {1});
        long t0 = System.nanoTime();
        List<Path> files = DemoImages.write(clips, out, 10);
        System.out.printf(
                "%d demo images in %.2f s%n", files.size(), (System.nanoTime() - t0) / 1e9);

        assertThat(files).hasSize(10);
        try (var listed = Files.list(out)) {
            assertThat(listed).hasSize(10); // the earlier demo's image is gone
        }
        Set<String> distinct = new HashSet<>();
        long bytes = 0;
        try (ImageDecoder decoder =
                new ImageDecoder(DecodeOptions.builder().optSize(112).optFrames(8).build())) {
            for (Path f : files) {
                byte[] data = Files.readAllBytes(f);
                bytes += data.length;
                ImageProbe.Info info = ImageProbe.probe(data);
                assertThat(info.format()).isEqualTo("jpeg");
                assertThat(info.width()).isEqualTo(DemoImages.SIZE);
                assertThat(info.height()).isEqualTo(DemoImages.SIZE);
                byte[] rgb = decoder.decode(data, f.getFileName().toString(), 0, 0);
                distinct.add(Arrays.toString(rgb));
            }
        }
        assertThat(distinct).hasSize(10);
        assertThat(bytes).isLessThan(10 * 20_000L);
        System.out.printf("%d bytes in all%n", bytes);
    }

    @Test
    void clipsThatDoNotDecodeGiveNoImages(@TempDir Path dir) throws Exception {
        List<VideoClip> broken = new ArrayList<>(Clips.brokenInputs());
        broken.removeIf(c -> c.getClipId().toString().equals("short")); // decodes 2 frames
        assertThat(DemoImages.write(broken, dir, 10)).isEmpty();
    }
}
