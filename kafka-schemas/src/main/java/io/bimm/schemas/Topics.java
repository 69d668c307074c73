package io.bimm.schemas;

/**
 * The one place for bimm-stream's topic names and the serde of each topic's records.
 *
 * <p>The names are defaults: every command and job takes {@code --topic}-style overrides.
 */
public final class Topics {

    /** Video segments, {@link VideoClip} records. */
    public static final String CLIPS = "bimm.clips";

    /** Still images for the ventral stage, {@link ImageRecord} records. */
    public static final String IMAGES = "bimm.images";

    /** Inputs that failed, {@link DeadLetter} records. */
    public static final String DEADLETTER = "bimm.deadletter";

    /** Default {@code max.message.bytes} of the topics: large enough for a clip segment. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private Topics() {}

    public static AvroKafkaSerde<VideoClip> clipSerde() {
        return new AvroKafkaSerde<>(VideoClip.class);
    }

    public static AvroKafkaSerde<ImageRecord> imageSerde() {
        return new AvroKafkaSerde<>(ImageRecord.class);
    }

    public static AvroKafkaSerde<DeadLetter> deadLetterSerde() {
        return new AvroKafkaSerde<>(DeadLetter.class);
    }
}
