package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.bimm.flink.sample.TrainingSample;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceCountsTest {

    private static TrainingSample sample(String id, boolean image) {
        int[] none = new int[0];
        int[] dorsal = image ? none : new int[] {1, 2};
        return new TrainingSample(
                id,
                0,
                new int[] {0},
                new int[] {1},
                new byte[1],
                new float[1],
                new byte[1],
                new byte[1],
                dorsal,
                dorsal,
                new byte[0],
                new float[0],
                new byte[0],
                new byte[0]);
    }

    @Test
    void countsTrainedSamplesPerTopicAcrossARestore() {
        SourceCounts c = new SourceCounts("clips", "images");
        c.started(List.of(sample("a", true), sample("b", false)));
        c.finished(true);
        c.started(List.of(sample("c", true), sample("d", true)));
        c.finished(false); // skipped by the NaN/Inf guard: trains nothing
        c.started(List.of(sample("e", true), sample("f", true)));
        c.finished(true);
        assertThat(c.imagesTrained()).isEqualTo(3);
        assertThat(c.clipsTrained()).isEqualTo(1);

        JsonObject topics =
                c.topics(List.of(sample("g", true), sample("h", false), sample("i", false)));
        assertThat(topics.getAsJsonObject("images").get("samples_trained").getAsLong())
                .isEqualTo(3);
        assertThat(topics.getAsJsonObject("images").get("pending_samples").getAsLong())
                .isEqualTo(1);
        assertThat(topics.getAsJsonObject("clips").get("samples_trained").getAsLong()).isEqualTo(1);
        assertThat(topics.getAsJsonObject("clips").get("pending_samples").getAsLong()).isEqualTo(2);

        JsonObject pointer = new JsonObject();
        pointer.addProperty("step", 2);
        c.addTo(pointer);
        SourceCounts restored = new SourceCounts("clips", "images");
        restored.restore(List.of(pointer.toString()), 4);
        assertThat(restored.imagesTrained()).isEqualTo(3);
        assertThat(restored.clipsTrained()).isEqualTo(1);
    }

    /**
     * With repeated sampling (R = 4) a clip record is 4 samples and an image record one: {@code
     * records_covered} counts both kinds of record, NaN-skipped images included, across a restore.
     */
    @Test
    void recordsCoveredCountsAnImageAsOneRecordWhateverR() {
        SourceCounts c = new SourceCounts("clips", "images");
        SampleBuffer held = new SampleBuffer(2, 1, 4);
        // trained: 4 clip samples (one record) and 2 images; NaN-skipped: 1 clip sample, 1 image
        c.started(List.of(sample("a", false), sample("a", false)));
        c.finished(true);
        c.started(List.of(sample("a", false), sample("a", false)));
        c.finished(true);
        c.started(List.of(sample("i", true), sample("j", true)));
        c.finished(true);
        c.started(List.of(sample("b", false), sample("k", true)));
        c.finished(false);
        // held: the other 3 samples of clip record b and one image
        for (TrainingSample s :
                List.of(sample("b", false), sample("b", false), sample("b", false))) {
            held.add(s);
        }
        held.add(sample("l", true));
        long trainedOrSkipped = 4 + 2 + 2;
        assertThat(c.imageSamplesCovered(held.all())).isEqualTo(4);
        // records a, b (clips) and i, j, k, l (images)
        assertThat(held.recordsCovered(trainedOrSkipped, c.imageSamplesCovered(held.all())))
                .isEqualTo(6);

        JsonObject pointer = new JsonObject();
        c.addTo(pointer);
        SourceCounts restored = new SourceCounts("clips", "images");
        restored.restore(List.of(pointer.toString()), 6);
        assertThat(restored.imageSamplesCovered(held.all())).isEqualTo(4);
    }

    @Test
    void aPointerWithoutCountsHadTrainedClipsOnly() {
        SourceCounts c = new SourceCounts("clips", "images");
        c.restore(List.of("{\"path\":\"/x\",\"step\":3}"), 12);
        assertThat(c.clipsTrained()).isEqualTo(12);
        assertThat(c.imagesTrained()).isZero();
    }
}
