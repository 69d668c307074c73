package io.bimm.schemas;

import java.io.IOException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer of a generated Avro record ({@code VideoClip}, {@code DeadLetter}): its
 * single-object encoding from {@link AvroCodec}, length-prefixed. Without flink-avro on the
 * classpath Flink cannot derive a type for Avro records and would fail, not fall back.
 *
 * @param <T> the generated record class
 */
public final class AvroRecordSerializer<T extends SpecificRecordBase> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final AvroCodec<T> codec;

    public AvroRecordSerializer(Class<T> type) {
        this.type = type;
        this.codec = AvroCodec.of(type);
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<T> duplicate() {
        return new AvroRecordSerializer<>(type);
    }

    @Override
    public T createInstance() {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot create " + type.getName(), e);
        }
    }

    @Override
    public T copy(T from) {
        return codec.decode(codec.encode(from));
    }

    @Override
    public T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(T record, DataOutputView out) throws IOException {
        byte[] b = codec.encode(record);
        out.writeInt(b.length);
        out.write(b);
    }

    @Override
    public T deserialize(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("Negative record length " + n + " for " + type.getSimpleName());
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return codec.decode(b);
    }

    @Override
    public T deserialize(T reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        int n = in.readInt();
        out.writeInt(n);
        out.write(in, n);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof AvroRecordSerializer<?> o && o.type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
        return new Snapshot<>(type);
    }

    /** Snapshot holding the record class; the codec's schema history handles evolution. */
    public static final class Snapshot<T extends SpecificRecordBase>
            implements TypeSerializerSnapshot<T> {
        private Class<T> type;

        /** For reading from a checkpoint. */
        public Snapshot() {}

        Snapshot(Class<T> type) {
            this.type = type;
        }

        @Override
        public int getCurrentVersion() {
            return 1;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeUTF(type.getName());
        }

        @Override
        public void readSnapshot(int version, DataInputView in, ClassLoader loader)
                throws IOException {
            String name = in.readUTF();
            try {
                @SuppressWarnings("unchecked")
                Class<T> c = (Class<T>) Class.forName(name, false, loader);
                type = c;
            } catch (ClassNotFoundException e) {
                throw new IOException("Cannot load record class " + name, e);
            }
        }

        @Override
        public TypeSerializer<T> restoreSerializer() {
            return new AvroRecordSerializer<>(type);
        }

        @Override
        public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
                TypeSerializerSnapshot<T> old) {
            return old instanceof Snapshot<?> s && s.type == type
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
