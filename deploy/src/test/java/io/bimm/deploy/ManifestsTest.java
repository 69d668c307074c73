package io.bimm.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.runtime.metrics.filter.DefaultReporterFilters;
import org.apache.flink.runtime.metrics.filter.ReporterFilter;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests of {@code deploy/k8s} read with the model classes of the projects that
 * define them (Strimzi's {@code KafkaTopic}, Fabric8's Kubernetes model), failing on any unknown
 * field; the Flink operator's {@code FlinkDeployment} against the fields of its v1beta1 spec (its
 * API classes are not on Maven Central), its pod templates with Fabric8's. Then what issue 25 found
 * wrong: the Prometheus filter, port names, storage, the CPU pool's way to the JobManager, the
 * submitter.
 */
class ManifestsTest {

    /** Strict: unknown fields fail, also in classes that would keep them (any-setters). */
    private static final ObjectMapper STRICT =
            new ObjectMapper()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .registerModule(
                            new SimpleModule()
                                    .setDeserializerModifier(
                                            new BeanDeserializerModifier() {
                                                @Override
                                                public BeanDeserializerBuilder updateBuilder(
                                                        DeserializationConfig config,
                                                        BeanDescription bean,
                                                        BeanDeserializerBuilder builder) {
                                                    builder.setAnySetter(null);
                                                    return builder;
                                                }
                                            }));

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** FlinkDeployment v1beta1 (operator 1.x): the fields of the spec and its parts. */
    private static final Set<String> FLINK_SPEC =
            Set.of(
                    "image",
                    "imagePullPolicy",
                    "serviceAccount",
                    "flinkVersion",
                    "ingress",
                    "podTemplate",
                    "jobManager",
                    "taskManager",
                    "job",
                    "restartNonce",
                    "flinkConfiguration",
                    "logConfiguration",
                    "mode");

    private static final Set<String> FLINK_VERSIONS =
            Set.of("v1_16", "v1_17", "v1_18", "v1_19", "v1_20", "v2_0", "v2_1", "v2_2");

    private static final Set<String> COMPONENT = Set.of("resource", "replicas", "podTemplate");
    private static final Set<String> RESOURCE = Set.of("cpu", "memory", "ephemeralStorage");

    @Test
    void everyDocumentIsAKnownResourceWithoutUnknownFields() throws IOException {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (Map.Entry<Path, JsonNode> d : documents()) {
            String where = d.getKey().getFileName() + " " + d.getValue().path("kind").asText();
            JsonNode doc = d.getValue();
            assertThat(doc.path("metadata").path("name").asText()).as(where).isNotEmpty();
            switch (doc.path("kind").asText()) {
                case "FlinkDeployment" -> checkFlinkDeployment(doc, where);
                case "KafkaTopic" -> STRICT.treeToValue(doc, KafkaTopic.class);
                case "Deployment" -> STRICT.treeToValue(doc, Deployment.class);
                case "Job" -> STRICT.treeToValue(doc, Job.class);
                case "PersistentVolumeClaim" ->
                        STRICT.treeToValue(doc, PersistentVolumeClaim.class);
                case "ConfigMap" -> STRICT.treeToValue(doc, ConfigMap.class);
                case "PodMonitor" -> checkPodMonitor(doc, where);
                default -> throw new AssertionError(where + ": no check for this kind");
            }
            kinds.merge(doc.path("kind").asText(), 1, Integer::sum);
        }
        assertThat(kinds)
                .containsEntry("FlinkDeployment", 1)
                .containsEntry("KafkaTopic", 3)
                .containsEntry("Deployment", 1)
                .containsEntry("Job", 1)
                .containsEntry("PodMonitor", 1);
    }

    @Test
    void theStrictReaderFailsOnAnUnknownField() throws IOException {
        JsonNode topic = find("KafkaTopic");
        ((com.fasterxml.jackson.databind.node.ObjectNode) topic.path("spec")).put("partitons", 3);
        assertThatThrownBy(() -> STRICT.treeToValue(topic, KafkaTopic.class))
                .hasMessageContaining("partitons");
        JsonNode flink = find("FlinkDeployment");
        ((com.fasterxml.jackson.databind.node.ObjectNode) flink.path("spec").path("taskManager"))
                .put("replica", 1);
        assertThatThrownBy(() -> checkFlinkDeployment(flink, "edited"))
                .hasMessageContaining("replica");
    }

    @Test
    void prometheusFilterIsOneStringAndKeepsWhatTheDashboardNeeds() {
        String filter = Manifests.prometheusFilter();
        assertThat(Manifests.prometheusFilters(Manifests.K8S.resolve("cpu-taskmanagers.yaml")))
                .containsExactly(filter);
        ReporterFilter<Metric> f = filter(filter);
        assertThat(f.filter(new SimpleCounter(), "lossTotal", "taskmanager.job.task.operator.bimm"))
                .isTrue();
        assertThat(
                        f.filter(
                                new SimpleCounter(),
                                "count",
                                "taskmanager.job.task.operator.deadLetters.reason"))
                .isTrue();
        assertThat(f.filter(new SimpleCounter(), "pendingRecords", "taskmanager.job.task.operator"))
                .isTrue();
        assertThat(f.filter(new SimpleCounter(), "Used", "taskmanager.Status.JVM.Memory.Heap"))
                .isTrue();
        assertThat(f.filter(new SimpleCounter(), "numRestarts", "jobmanager.job")).isTrue();
        assertThat(f.filter(new SimpleCounter(), "numBytesInRemote", "taskmanager.job.task"))
                .isFalse();
        // The filter this replaces: '*bimm*' and 'Status.JVM.*' stood after ':' (metric names).
        ReporterFilter<Metric> old =
                filter(
                        "*:*bimm*,numRecords*,busyTimeMsPerSecond,backPressuredTimeMsPerSecond,numRestarts,lastCheckpoint*,Status.JVM.Memory.*,Status.JVM.GarbageCollector.*:*");
        assertThat(
                        old.filter(
                                new SimpleCounter(),
                                "lossTotal",
                                "taskmanager.job.task.operator.bimm"))
                .isFalse();
        assertThat(old.filter(new SimpleCounter(), "Used", "taskmanager.Status.JVM.Memory.Heap"))
                .isFalse();
    }

    @Test
    void everyFlinkContainerDeclaresThePortThePodMonitorScrapes() throws IOException {
        String port =
                find("PodMonitor")
                        .path("spec")
                        .path("podMetricsEndpoints")
                        .get(0)
                        .path("port")
                        .asText();
        JsonNode flink = find("FlinkDeployment").path("spec");
        List<PodTemplateSpec> pods = new ArrayList<>();
        pods.add(
                STRICT.treeToValue(
                        flink.path("jobManager").path("podTemplate"), PodTemplateSpec.class));
        pods.add(
                STRICT.treeToValue(
                        flink.path("taskManager").path("podTemplate"), PodTemplateSpec.class));
        pods.add(STRICT.treeToValue(find("Deployment"), Deployment.class).getSpec().getTemplate());
        for (PodTemplateSpec pod : pods) {
            Container c = pod.getSpec().getContainers().get(0);
            assertThat(c.getPorts())
                    .as(c.getName())
                    .anyMatch(p -> port.equals(p.getName()) && p.getContainerPort() == 9249);
            // Checkpoints, savepoints and HA metadata are file:// on the shared volume.
            assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/data/bimm"));
        }
        assertThat(
                        STRICT.treeToValue(find("Deployment"), Deployment.class)
                                .getSpec()
                                .getTemplate()
                                .getMetadata()
                                .getLabels())
                .containsEntry("app", "bimm");
    }

    @Test
    void storageWorksWithoutPluginsAndTheCpuPoolUsesTheSameHa() throws IOException {
        JsonNode conf = find("FlinkDeployment").path("spec").path("flinkConfiguration");
        for (String key :
                List.of(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.storageDir")) {
            assertThat(conf.path(key).asText()).as(key).startsWith("file:///data/bimm/");
        }
        assertThat(conf.has("external-resource.gpu.kubernetes.config-key")).isFalse();
        Deployment cpu = STRICT.treeToValue(find("Deployment"), Deployment.class);
        Container tm = cpu.getSpec().getTemplate().getSpec().getContainers().get(0);
        String props =
                tm.getEnv().stream()
                        .filter(e -> e.getName().equals("FLINK_PROPERTIES"))
                        .findFirst()
                        .orElseThrow()
                        .getValue();
        assertThat(props)
                .contains(
                        "kubernetes.cluster-id: "
                                + find("FlinkDeployment").path("metadata").path("name").asText())
                .contains("high-availability.type: " + conf.path("high-availability.type").asText())
                .contains(
                        "high-availability.storageDir: "
                                + conf.path("high-availability.storageDir").asText())
                .doesNotContain("jobmanager.rpc.address");
        assertThat(cpu.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(find("FlinkDeployment").path("spec").path("serviceAccount").asText());
        // libtorch by the TaskManager's environment: CPU here, CUDA in the GPU pool.
        assertThat(tm.getEnv())
                .anyMatch(e -> e.getName().equals("PYTORCH_FLAVOR") && e.getValue().equals("cpu"));
        Container gpu =
                STRICT.treeToValue(
                                find("FlinkDeployment")
                                        .path("spec")
                                        .path("taskManager")
                                        .path("podTemplate"),
                                PodTemplateSpec.class)
                        .getSpec()
                        .getContainers()
                        .get(0);
        assertThat(gpu.getEnv())
                .anyMatch(
                        e -> e.getName().equals("PYTORCH_FLAVOR") && e.getValue().startsWith("cu"));
        assertThat(gpu.getResources().getLimits()).containsKey("nvidia.com/gpu");
    }

    @Test
    void theSubmitterRunsWithFlinksClasspathAndSubmitsTheLeanJar() throws IOException {
        Container submit =
                STRICT.treeToValue(find("Job"), Job.class)
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0);
        List<String> cmd = submit.getCommand();
        assertThat(cmd)
                .doesNotContain("-jar")
                .contains(
                        "--add-opens=java.base/java.util=ALL-UNNAMED", "io.bimm.flink.cli.BimmCli");
        assertThat(cmd.get(cmd.indexOf("-cp") + 1))
                .startsWith("/opt/flink/lib/*:")
                .endsWith("/opt/flink/usrlib/bimm-stream.jar");
        assertThat(cmd).contains("-Dbimm.job-jar=/opt/flink/usrlib/bimm-stream.jar");
        assertThat(Files.readString(Manifests.K8S.resolveSibling("image/Dockerfile")))
                .contains(
                        "flink-jobs-0.1.0-SNAPSHOT-cluster.jar /opt/flink/usrlib/bimm-stream.jar");
    }

    private static ReporterFilter<Metric> filter(String includes) {
        Configuration c = new Configuration();
        c.set(MetricOptions.REPORTER_INCLUDES, List.of(includes.split(";")));
        return DefaultReporterFilters.metricsFromConfiguration(c);
    }

    private static void checkFlinkDeployment(JsonNode doc, String where) throws IOException {
        assertThat(doc.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        JsonNode spec = doc.path("spec");
        assertKnown(spec, FLINK_SPEC, where + " spec");
        assertThat(FLINK_VERSIONS).as(where).contains(spec.path("flinkVersion").asText());
        assertThat(spec.path("mode").asText()).isIn("native", "standalone");
        for (String c : List.of("jobManager", "taskManager")) {
            assertKnown(spec.path(c), COMPONENT, where + " " + c);
            assertKnown(spec.path(c).path("resource"), RESOURCE, where + " " + c + ".resource");
            if (spec.path(c).has("podTemplate")) {
                STRICT.treeToValue(spec.path(c).path("podTemplate"), PodTemplateSpec.class);
            }
        }
        spec.path("flinkConfiguration")
                .fields()
                .forEachRemaining(
                        e ->
                                assertThat(e.getValue().isValueNode())
                                        .as("%s: %s is a string", where, e.getKey())
                                        .isTrue());
    }

    private static void checkPodMonitor(JsonNode doc, String where) {
        assertThat(doc.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertKnown(doc.path("spec"), Set.of("selector", "podMetricsEndpoints"), where);
        for (JsonNode e : doc.path("spec").path("podMetricsEndpoints")) {
            assertKnown(e, Set.of("port", "interval", "path", "relabelings"), where + " endpoint");
        }
    }

    private static void assertKnown(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            assertThat(known).as("%s: unknown field '%s'", where, f).contains(f);
        }
    }

    private static JsonNode find(String kind) throws IOException {
        return documents().stream()
                .map(Map.Entry::getValue)
                .filter(d -> d.path("kind").asText().equals(kind))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in deploy/k8s"));
    }

    /** Every YAML document of every deploy/k8s/*.yaml (what kubectl apply -f deploy/k8s/ reads). */
    private static List<Map.Entry<Path, JsonNode>> documents() throws IOException {
        List<Map.Entry<Path, JsonNode>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Manifests.K8S)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (YAMLParser p = (YAMLParser) YAML.getFactory().createParser(f.toFile())) {
                    Iterator<JsonNode> docs = YAML.readValues(p, JsonNode.class);
                    while (docs.hasNext()) {
                        JsonNode d = docs.next();
                        assertThat(d.has("apiVersion") && d.has("kind"))
                                .as("%s: a document without apiVersion and kind", f.getFileName())
                                .isTrue();
                        out.add(Map.entry(f, d));
                    }
                }
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }
}
