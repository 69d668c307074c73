package io.bimm.flink.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.sample.ImageSamples;
import io.bimm.flink.sample.TrainingSample;
import java.util.List;

/**
 * The training sink's samples per source topic (docs/images.md): how many of the trained samples
 * came from the clips topic and how many from the images topic, kept in the sink's checkpoint
 * pointer (operator state) so that they survive restarts, and written into {@code progress.json} as
 * {@code topics.<topic>.samples_trained / pending_samples}. A sample's topic is its kind: an image
 * sample has no dorsal part ({@link ImageSamples#isImage}).
 */
final class SourceCounts {

    static final String CLIPS_KEY = "samples_trained_clips";
    static final String IMAGES_KEY = "samples_trained_images";
    static final String SKIPPED_IMAGES_KEY = "samples_skipped_images";

    private final String clipsTopic;
    private final String imagesTopic;
    private long clips;
    private long images;
    private long inFlightClips;
    private long inFlightImages;
    private long skippedImages;

    SourceCounts(String clipsTopic, String imagesTopic) {
        this.clipsTopic = clipsTopic;
        this.imagesTopic = imagesTopic;
    }

    /**
     * The counts a restored pointer holds; a pointer of an earlier version, without them, had
     * trained clips only: {@code samplesSeen} of them.
     */
    void restore(List<String> pointers, long samplesSeen) {
        clips = samplesSeen;
        images = 0;
        skippedImages = 0;
        for (String json : pointers) {
            JsonObject p = JsonParser.parseString(json).getAsJsonObject();
            if (p.has(CLIPS_KEY) && p.has(IMAGES_KEY)) {
                clips = p.get(CLIPS_KEY).getAsLong();
                images = p.get(IMAGES_KEY).getAsLong();
            }
            if (p.has(SKIPPED_IMAGES_KEY)) {
                skippedImages = p.get(SKIPPED_IMAGES_KEY).getAsLong();
            }
        }
    }

    /** A step started on {@code batch}. */
    void started(List<TrainingSample> batch) {
        inFlightImages = batch.stream().filter(ImageSamples::isImage).count();
        inFlightClips = batch.size() - inFlightImages;
    }

    /** The step in flight ended; {@code updated} false when the NaN/Inf guard skipped it. */
    void finished(boolean updated) {
        if (updated) {
            clips += inFlightClips;
            images += inFlightImages;
        } else {
            skippedImages += inFlightImages;
        }
        inFlightClips = 0;
        inFlightImages = 0;
    }

    long imagesTrained() {
        return images;
    }

    long clipsTrained() {
        return clips;
    }

    /**
     * Image samples trained, NaN-skipped or in {@code pending}: one per image record, whatever
     * {@code prep.repeated-sampling} says (it repeats clips only).
     */
    long imageSamplesCovered(List<TrainingSample> pending) {
        return images + skippedImages + pending.stream().filter(ImageSamples::isImage).count();
    }

    /** Adds the counts to the pointer kept in operator state. */
    void addTo(JsonObject pointer) {
        pointer.addProperty(CLIPS_KEY, clips);
        pointer.addProperty(IMAGES_KEY, images);
        pointer.addProperty(SKIPPED_IMAGES_KEY, skippedImages);
    }

    /** {@code progress.json}'s {@code topics}: per topic, samples trained and pending. */
    JsonObject topics(List<TrainingSample> pending) {
        long pendingImages = pending.stream().filter(ImageSamples::isImage).count();
        JsonObject t = new JsonObject();
        t.add(clipsTopic, topic(clips, pending.size() - pendingImages));
        t.add(imagesTopic, topic(images, pendingImages));
        return t;
    }

    private static JsonObject topic(long trained, long pending) {
        JsonObject o = new JsonObject();
        o.addProperty("samples_trained", trained);
        o.addProperty("pending_samples", pending);
        return o;
    }
}
