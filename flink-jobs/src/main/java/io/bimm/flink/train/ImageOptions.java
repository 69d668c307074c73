package io.bimm.flink.train;

import io.bimm.schemas.Topics;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Options of the training job's image source (docs/images.md): which topic holds the {@code
 * ImageRecord}s and what share of a ventral batch they make.
 */
public final class ImageOptions {

    private ImageOptions() {}

    public static final ConfigOption<String> IMAGES_TOPIC =
            ConfigOptions.key("kafka.topic.images")
                    .stringType()
                    .defaultValue(Topics.IMAGES)
                    .withDescription(
                            "Topic of still images (ImageRecord, written by ingest --images) the"
                                    + " ventral stage trains on.");

    public static final ConfigOption<Double> IMAGE_SHARE =
            ConfigOptions.key("train.image-share")
                    .doubleType()
                    .noDefaultValue()
                    .withDescription(
                            "Share of images in a --stage ventral batch: 1 images only (the job"
                                    + " refuses to start when the images topic is empty), 0"
                                    + " video frames only. Unset: images only when the images"
                                    + " topic has records when the job starts, else video"
                                    + " frames. Other stages train on clips only.");
}
