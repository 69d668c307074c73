package io.bimm.flink.train;

import io.bimm.flink.sample.ImageSamples;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.model.BimmConfig;
import io.bimm.model.Stage;
import io.bimm.model.train.MaskedBatch;
import java.util.ArrayList;
import java.util.List;

/** Packs {@link TrainingSample}s into the model's {@link MaskedBatch} for one training stage. */
public final class SampleBatches {

    private SampleBatches() {}

    /**
     * The batch of {@code samples}; the stage decides which branches' parts are packed. In a joint
     * batch the image samples' ventral parts (they have no dorsal part) take the places of the
     * first clips' ventral frames: the batch has one sample per clip, the branches' losses are
     * independent of each other, and an image stands in for a clip's ventral frame
     * (docs/images.md).
     */
    public static MaskedBatch of(BimmConfig config, Stage stage, List<TrainingSample> samples) {
        MaskedBatch.Builder b = MaskedBatch.builder(config);
        List<TrainingSample> ventral = samples;
        if (stage == Stage.JOINT) {
            List<TrainingSample> images = new ArrayList<>();
            List<TrainingSample> clips = new ArrayList<>();
            for (TrainingSample s : samples) {
                (ImageSamples.isImage(s) ? images : clips).add(s);
            }
            if (images.size() > clips.size()) {
                throw new IllegalArgumentException(
                        "A joint batch of "
                                + clips.size()
                                + " clips cannot take "
                                + images.size()
                                + " images.");
            }
            ventral = new ArrayList<>(images);
            ventral.addAll(clips.subList(images.size(), clips.size()));
            samples = clips;
        }
        for (TrainingSample s : ventral) {
            if (stage != Stage.DORSAL) {
                b.addVentral(
                        s.ventralVisibleIdx,
                        s.ventralMaskedIdx,
                        s.ventralPixels,
                        s.ventralGabor,
                        s.ventralContour,
                        s.ventralRgb);
            }
        }
        for (TrainingSample s : samples) {
            if (stage != Stage.VENTRAL) {
                b.addDorsal(
                        s.dorsalVisibleIdx,
                        s.dorsalMaskedIdx,
                        s.dorsalPixels,
                        s.dorsalGabor,
                        s.dorsalContour,
                        s.dorsalMotion);
            }
        }
        return b.build();
    }
}
