package io.bimm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The lean job jar a cluster gets ({@code flink-jobs-*-cluster.jar}): the job, and none of what the
 * cluster's lib/ provides. Above all no {@code native/lib/pytorch.properties}: DJL would load the
 * libtorch build of the jar instead of the one the TaskManager's environment chose.
 */
class ClusterJarTest {

    private static final Path JAR =
            Paths.get("")
                    .toAbsolutePath()
                    .getParent()
                    .resolve("flink-jobs/target/flink-jobs-0.1.0-SNAPSHOT-cluster.jar");

    @Test
    void holdsTheJobAndNothingTheClusterProvides() throws IOException {
        assertThat(JAR).isRegularFile();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            assertThat(names)
                    .contains(
                            "io/bimm/flink/train/TrainJob.class",
                            "io/bimm/model/Preset.class",
                            "io/bimm/schemas/VideoClip.class",
                            "org/apache/flink/connector/kafka/source/KafkaSource.class",
                            "org/apache/kafka/clients/consumer/KafkaConsumer.class",
                            "org/apache/avro/Schema.class");
            for (String prefix :
                    List.of(
                            "native/lib/pytorch.properties",
                            "ai/djl/",
                            "org/bytedeco/",
                            "com/sun/jna/",
                            "org/apache/flink/runtime/",
                            "org/apache/flink/streaming/api/environment/",
                            "org/apache/logging/",
                            "org/slf4j/",
                            "kafka/server/",
                            "org/apache/kafka/raft/",
                            "org/apache/kafka/storage/internals/",
                            "org/apache/kafka/coordinator/group/",
                            "scala/")) {
                assertThat(names)
                        .as("nothing under %s", prefix)
                        .noneMatch(n -> n.startsWith(prefix));
            }
            // Kafka's compression codecs: their linux-x86_64 natives only.
            assertThat(names.stream().filter(n -> n.endsWith(".so") || n.endsWith(".dll")))
                    .containsExactlyInAnyOrder(
                            "linux/amd64/libzstd-jni-1.5.6-10.so",
                            "net/jpountz/util/linux/amd64/liblz4-java.so",
                            "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so");
        }
        assertThat(Files.size(JAR)).isLessThan(25L << 20);
    }
}
