package io.bimm.flink.testutil;

import io.bimm.flink.ingest.TestVideos;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Clip records for training runs: the whole of cup.mp4 (8 s), one training sample each. */
public final class CupClips {

    private CupClips() {}

    /** Produces {@code n} cup.mp4 clips named {@code prefix-i} to the clips topic. */
    public static void produce(String bootstrap, String prefix, int n) throws Exception {
        byte[] cup = Files.readAllBytes(TestVideos.dir().resolve("cup.mp4"));
        try (KafkaProducer<String, byte[]> p =
                new KafkaProducer<>(
                        Map.of("bootstrap.servers", bootstrap, "max.request.size", 16 << 20),
                        new StringSerializer(),
                        new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                VideoClip clip =
                        VideoClip.newBuilder()
                                .setClipId(prefix + "-" + i)
                                .setSourceUri("file:///cup.mp4")
                                .setSegmentIndex(0)
                                .setContainer("mp4")
                                .setCodec("h264")
                                .setData(ByteBuffer.wrap(cup))
                                .setFrameRate(27)
                                .setWidth(640)
                                .setHeight(480)
                                .setDurationMicros(8_100_000)
                                .setIngestTimestamp(Instant.now())
                                .build();
                p.send(
                                new ProducerRecord<>(
                                        Topics.CLIPS,
                                        prefix + "-" + i,
                                        AvroCodec.of(VideoClip.class).encode(clip)))
                        .get();
            }
        }
    }
}
