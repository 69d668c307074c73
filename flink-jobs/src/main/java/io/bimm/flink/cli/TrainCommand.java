package io.bimm.flink.cli;

import io.bimm.flink.train.InitFrom;
import io.bimm.flink.train.Recipe;
import io.bimm.flink.train.TrainJob;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.flink.train.TrainRunner;
import io.bimm.model.BimmConfig;
import io.bimm.model.checkpoint.Checkpoints;
import io.bimm.model.train.DeviceCheck;
import io.bimm.model.train.DeviceSpec;
import io.bimm.model.train.Libtorch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.description.HtmlFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bimm train}: the continuous training job, locally or on a Flink cluster. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train BIMM continuously on the clips of a Kafka topic: a Flink job (local MiniCluster"
                    + " with the web dashboard, or --jobmanager) that decodes clips, computes the"
                    + " targets and masks, and runs training steps on the GPU (or CPU).",
            "Ends cleanly with a savepoint after --max-steps or on Ctrl-C (a cancel when no"
                    + " savepoint can be taken within 60 s); the next run with the same"
                    + " --checkpoint-dir resumes from the newest savepoint or retained Flink"
                    + " checkpoint (exactly: same model, same offsets). A job that fails exits 1"
                    + " with its root cause."
        })
public final class TrainCommand implements Callable<Integer> {

    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (kafka.bootstrap).")
    String bootstrap;

    @Option(names = "--topic", description = "Clips topic (kafka.topic.clips).")
    String topic;

    @Option(names = "--preset", description = "tiny, small, base or large (model.preset).")
    String preset;

    @Option(names = "--stage", description = "ventral, joint or dorsal (train.stage).")
    String stage;

    @Option(
            names = "--recipe",
            paramLabel = "NAME",
            description =
                    "bimm (the defaults) or videomae (one decoder per branch on the last block,"
                            + " final-level target only: ventral-rgb, dorsal-motion; tube mask"
                            + " 0.9). Options set with -D override the recipe's.")
    String recipe;

    @Option(
            names = "--init-from",
            paramLabel = "DIR",
            description = "Checkpoint to start from (train.init-from).")
    String initFrom;

    @Option(
            names = "--device",
            description =
                    "auto (all GPUs, else CPU), cpu, gpu, or a list such as gpu0,gpu1 (train.device).")
    String device;

    @Option(names = "--batch-size", description = "Samples per step (train.batch-size).")
    Integer batchSize;

    @Option(
            names = "--checkpoint-dir",
            paramLabel = "DIR",
            description = "Model checkpoints, savepoints (train.checkpoint-dir).")
    String checkpointDir;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "N",
            description = "Model checkpoint every N steps (train.checkpoint-every).")
    Integer checkpointEvery;

    @Option(
            names = "--max-steps",
            paramLabel = "N",
            description = "Stop cleanly after N steps (train.max-steps).")
    Long maxSteps;

    @Option(
            names = "--jobmanager",
            paramLabel = "HOST:PORT",
            description =
                    "Submit to this Flink cluster (REST address) instead of a local MiniCluster.")
    String jobManager;

    @Option(
            names = "--port",
            defaultValue = "8081",
            description = "Local dashboard port (default: ${DEFAULT-VALUE}).")
    int port;

    @Mixin DashboardOptions dashboard = new DashboardOptions();

    @Mixin KafkaClientOptions kafkaClient = new KafkaClientOptions();

    @Mixin ProgressOptions progress = new ProgressOptions();

    @Option(
            names = "--fresh",
            description = "Do not resume from the newest savepoint in --checkpoint-dir.")
    boolean fresh;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "Any option below, or any Flink option; an unknown key under prep., train.,"
                            + " model., kafka. or fault. is refused.")
    Map<String, String> dynamic = new LinkedHashMap<>();

    @Spec CommandSpec spec;

    /** The options with their defaults, for the help footer. */
    static String optionTable() {
        StringBuilder sb = new StringBuilder("%nOptions (-D key=value):%n");
        for (ConfigOption<?> o : TrainJobOptions.all()) {
            sb.append(
                    String.format(
                            "  %-34s default %s%n",
                            o.key(),
                            o.hasDefaultValue()
                                    ? DynamicOptions.display(o.defaultValue())
                                    : "(none)"));
            sb.append(String.format("      %s%n", plainText(o).replace("%", "%%")));
        }
        return sb.toString();
    }

    /** An option's description as plain text (Flink formats descriptions as HTML). */
    static String plainText(ConfigOption<?> option) {
        return new HtmlFormatter()
                .format(option.description())
                .replaceAll("<[^>]+>", "")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
    }

    /**
     * The job's configuration: -D values, then the named flags on top, checked as one set; then the
     * --recipe's values for the keys still unset, and the model config they describe.
     *
     * @throws ParameterException (exit 2) naming an unknown key of the project's namespaces, with
     *     the closest known one, or a value that does not parse, or a local --init-from checkpoint
     *     of another model config ({@link InitFrom})
     */
    Configuration configuration() {
        Map<String, String> settings = new LinkedHashMap<>(dynamic);
        putIf(settings, TrainJobOptions.BOOTSTRAP, bootstrap);
        putIf(settings, TrainJobOptions.CLIPS_TOPIC, topic);
        putIf(settings, TrainJobOptions.PRESET, preset);
        putIf(settings, TrainJobOptions.STAGE, stage);
        putIf(settings, TrainJobOptions.INIT_FROM, initFrom);
        putIf(settings, TrainJobOptions.DEVICE, device);
        putIf(settings, TrainJobOptions.BATCH_SIZE, batchSize);
        putIf(settings, TrainJobOptions.CHECKPOINT_DIR, checkpointDir);
        putIf(settings, TrainJobOptions.CHECKPOINT_EVERY, checkpointEvery);
        putIf(settings, TrainJobOptions.MAX_STEPS, maxSteps);
        // One key each, so that the dashboard hides the values of sensitive ones.
        kafkaClient
                .properties(System.err)
                .forEach((k, v) -> settings.put(TrainJobOptions.KAFKA_CLIENT.key() + "." + k, v));
        try {
            Configuration conf =
                    DynamicOptions.accepting(TrainJobOptions.all()).configuration(settings);
            if (recipe != null) {
                Recipe.of(recipe).applyTo(conf);
            }
            TrainJobOptions.device(conf);
            BimmConfig model = TrainJob.modelConfig(conf);
            String initFrom = conf.getOptional(TrainJobOptions.INIT_FROM).orElse("");
            if (!initFrom.isBlank() && Files.exists(Paths.get(initFrom))) {
                // the job checks it too; here a local checkpoint is refused before a job starts
                InitFrom.check(Checkpoints.resolve(Paths.get(initFrom)), model);
            }
            dashboard.applyTo(conf);
            return conf;
        } catch (IllegalArgumentException | IOException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private static void putIf(Map<String, String> settings, ConfigOption<?> option, Object value) {
        if (value != null) {
            settings.put(option.key(), value.toString());
        }
    }

    @Override
    public Integer call() throws Exception {
        Configuration conf = configuration();
        DeviceSpec devices = TrainJobOptions.device(conf);
        if (devices.replicas().stream().anyMatch(r -> r.kind() == DeviceSpec.Kind.GPU)) {
            // refuse a GPU the loaded libtorch cannot serve before starting a job (exit 2)
            try {
                DeviceCheck.check(devices, Libtorch.detect(), Libtorch.hasNvidiaSmi());
            } catch (DeviceCheck.DeviceUnavailableException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        kafkaClient.checkCredentials(
                conf.get(TrainJobOptions.BOOTSTRAP), conf.get(TrainJobOptions.KAFKA_CLIENT));
        TrainRunner.Result r;
        try (ProgressWatcher watcher =
                ProgressWatcher.start(
                        progress,
                        Paths.get(conf.get(TrainJobOptions.CHECKPOINT_DIR)),
                        conf.get(TrainJobOptions.MAX_STEPS))) {
            r = TrainRunner.run(conf, fresh, jobManager, port, System.out);
        } catch (IllegalArgumentException | TrainRunner.JobFailedException e) {
            throw new UserException(e.getMessage(), e);
        }
        System.out.println(
                "trained "
                        + r.steps()
                        + " steps; latest checkpoint "
                        + (r.latestCheckpoint() == null ? "(none)" : r.latestCheckpoint())
                        + (r.savepoint() == null ? "" : "; savepoint " + r.savepoint()));
        return 0;
    }

    /** Adds the option table to the help of {@code train}. */
    static void addFooter(CommandLine cl) {
        CommandLine train = cl.getSubcommands().get("train");
        if (train != null) {
            train.getCommandSpec().usageMessage().footer(optionTable());
        }
    }
}
