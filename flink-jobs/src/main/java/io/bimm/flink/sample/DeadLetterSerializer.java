package io.bimm.flink.sample;

import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer of {@link DeadLetter}: its Avro single-object encoding, length-prefixed. Without
 * flink-avro on the classpath, Flink cannot derive a type for Avro records itself.
 */
public final class DeadLetterSerializer extends TypeSerializerSingleton<DeadLetter> {
    private static final long serialVersionUID = 1L;

    public static final DeadLetterSerializer INSTANCE = new DeadLetterSerializer();

    private final AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public DeadLetter createInstance() {
        return new DeadLetter();
    }

    @Override
    public DeadLetter copy(DeadLetter from) {
        return DeadLetter.newBuilder(from).build();
    }

    @Override
    public DeadLetter copy(DeadLetter from, DeadLetter reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(DeadLetter record, DataOutputView out) throws IOException {
        byte[] b = codec.encode(record);
        out.writeInt(b.length);
        out.write(b);
    }

    @Override
    public DeadLetter deserialize(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("Negative DeadLetter length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return codec.decode(b);
    }

    @Override
    public DeadLetter deserialize(DeadLetter reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        int n = in.readInt();
        out.writeInt(n);
        out.write(in, n);
    }

    @Override
    public TypeSerializerSnapshot<DeadLetter> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Snapshot; the Avro schema history handles record evolution inside the bytes. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<DeadLetter> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
