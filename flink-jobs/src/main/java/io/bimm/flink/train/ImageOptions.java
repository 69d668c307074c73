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
                            "Share of images among the ventral branch's samples of a batch,"
                                    + " round(share x batch size) per batch (docs/images.md)."
                                    + " --stage ventral: 1 images only, 0 video frames only,"
                                    + " between them both topics mixed; unset, images only when"
                                    + " the images topic has records when the job starts, else"
                                    + " video frames. --stage joint: above 0, that many of a"
                                    + " batch's clips have their ventral frame replaced by an"
                                    + " image; unset or 0, clips only. A share above 0 refuses to"
                                    + " start on an empty images topic.");
}
