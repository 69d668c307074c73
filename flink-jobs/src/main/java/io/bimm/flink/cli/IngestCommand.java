package io.bimm.flink.cli;

import io.bimm.flink.ingest.IngestReport;
import io.bimm.flink.ingest.Ingestor;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.ingest.InputFiles;
import io.bimm.flink.sample.DecodeLimits;
import io.bimm.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bimm ingest}: video files to {@code VideoClip} records (images to {@code ImageRecord}s).
 */
@Command(
        name = "ingest",
        mixinStandardHelpOptions = true,
        description = {
            "Split video files into segments at keyframes (stream copy, no re-encode) and produce"
                    + " one VideoClip record per segment to Kafka.",
            "Unreadable, non-video and over-size inputs, and segments the training job would"
                    + " reject by its limits (-D prep.max-*), are reported by name and reason, sent"
                    + " to the dead-letter topic and skipped; the rest go on. Only regular files"
                    + " are read; a symlink in a directory is followed only inside it.",
            "With --follow, also follow live sources (rtsp, rtmp, srt, udp, rtp, tcp, http(s)/HLS"
                    + " URLs, a growing file) and watch folders until Ctrl-C (docs/live-sources.md).",
            "Exit code 0 if at least one file went in, 1 if none did."
        })
public final class IngestCommand implements Callable<Integer> {

    @Option(
            names = "--bootstrap",
            required = true,
            paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(
            names = "--topic",
            description =
                    "Target topic (default: "
                            + Topics.CLIPS
                            + ", or "
                            + Topics.IMAGES
                            + " with --images).")
    String topic;

    @Option(
            names = "--dead-letter-topic",
            defaultValue = Topics.DEADLETTER,
            description = "Where rejected inputs go (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;

    @Option(
            names = "--segment-seconds",
            defaultValue = "4",
            description =
                    "Approximate segment length; cuts fall on keyframes (default: ${DEFAULT-VALUE}).")
    double segmentSeconds;

    @Option(names = "--label", description = "Label written into every record (e.g. a class name).")
    String label;

    @Option(
            names = "--images",
            description =
                    "Inputs are JPEG/PNG images for the ventral stage; send them to the images topic.")
    boolean images;

    @Option(
            names = "--max-clip-bytes",
            defaultValue = "" + (Topics.DEFAULT_MAX_MESSAGE_BYTES - 65536),
            description = "Largest record produced (default: ${DEFAULT-VALUE}).")
    int maxClipBytes;

    @Option(
            names = "--max-file-bytes",
            defaultValue = "4294967296",
            description =
                    "Largest input file read (default: ${DEFAULT-VALUE}; at most 2 GiB are read"
                            + " into memory).")
    long maxFileBytes;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description =
                    "Partitions of topics this command creates when missing (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

    @Option(names = "--no-progress", description = "Do not draw the progress bar.")
    boolean noProgress;

    @Mixin LimitOptions limits;

    @Spec CommandSpec spec;

    @Mixin FollowOptions follow = new FollowOptions();

    @Parameters(
            arity = "0..*",
            paramLabel = "PATH",
            description = "Files, directories (recursive) and globs.")
    List<String> paths = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!(segmentSeconds > 0)) {
            throw new UserException(
                    "--segment-seconds must be positive, not " + segmentSeconds + ".");
        }
        if (maxClipBytes <= 0) {
            throw new UserException("--max-clip-bytes must be positive.");
        }
        DecodeLimits decodeLimits = limits.limits(spec);
        if (paths.isEmpty() && !follow.following()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Missing required parameter: 'PATH'");
        }
        FollowOptions.Sources followed = follow.sources(images);
        List<InputFile> files;
        try {
            files = InputFiles.expand(paths);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
        }
        if (files.isEmpty() && !paths.isEmpty()) {
            throw new UserException("No files to ingest under " + String.join(", ", paths) + ".");
        }
        String target = topic != null ? topic : images ? Topics.IMAGES : Topics.CLIPS;
        Ingestor.Settings settings =
                new Ingestor.Settings(
                        bootstrap,
                        target,
                        deadLetterTopic,
                        segmentSeconds,
                        label,
                        images,
                        maxClipBytes,
                        maxFileBytes,
                        partitions,
                        kafkaClient.properties(System.err),
                        decodeLimits);
        IngestReport report;
        try (Ingestor ingestor = new Ingestor(settings)) {
            try {
                ingestor.ensureTopics();
            } catch (java.io.IOException e) {
                throw KafkaClientOptions.failure(bootstrap, e);
            }
            report =
                    ingestor.ingest(
                            files,
                            System.err,
                            !noProgress && io.bimm.flink.ingest.ProgressBar.onTerminal());
            if (follow.following()) {
                // Prints the summary line itself: Ctrl-C must not end the JVM before it.
                report =
                        follow.run(
                                followed,
                                settings,
                                ingestor,
                                !noProgress && io.bimm.flink.ingest.ProgressBar.onTerminal(),
                                report);
                return report.filesIngested() > 0 ? 0 : 1;
            }
        }
        System.out.println(report.summaryLine());
        return report.filesIngested() > 0 ? 0 : 1;
    }
}
