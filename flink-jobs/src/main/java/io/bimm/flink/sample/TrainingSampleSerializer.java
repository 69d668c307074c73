package io.bimm.flink.sample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer of {@link TrainingSample}: clip id (modified UTF-8), draw, then each array as
 * its length and its elements (ints and floats big-endian). No Kryo on the hot path.
 */
public final class TrainingSampleSerializer extends TypeSerializerSingleton<TrainingSample> {
    private static final long serialVersionUID = 1L;

    public static final TrainingSampleSerializer INSTANCE = new TrainingSampleSerializer();

    private static final int[] NO_INTS = new int[0];

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TrainingSample createInstance() {
        return new TrainingSample(
                "",
                0,
                NO_INTS,
                NO_INTS,
                new byte[0],
                new float[0],
                new byte[0],
                new byte[0],
                NO_INTS,
                NO_INTS,
                new byte[0],
                new float[0],
                new byte[0],
                new byte[0]);
    }

    @Override
    public TrainingSample copy(TrainingSample s) {
        return new TrainingSample(
                s.clipId,
                s.draw,
                s.ventralVisibleIdx.clone(),
                s.ventralMaskedIdx.clone(),
                s.ventralPixels.clone(),
                s.ventralGabor.clone(),
                s.ventralContour.clone(),
                s.ventralRgb.clone(),
                s.dorsalVisibleIdx.clone(),
                s.dorsalMaskedIdx.clone(),
                s.dorsalPixels.clone(),
                s.dorsalGabor.clone(),
                s.dorsalContour.clone(),
                s.dorsalMotion.clone());
    }

    @Override
    public TrainingSample copy(TrainingSample from, TrainingSample reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(TrainingSample s, DataOutputView out) throws IOException {
        out.writeUTF(s.clipId);
        out.writeInt(s.draw);
        writeInts(s.ventralVisibleIdx, out);
        writeInts(s.ventralMaskedIdx, out);
        writeBytes(s.ventralPixels, out);
        writeFloats(s.ventralGabor, out);
        writeBytes(s.ventralContour, out);
        writeBytes(s.ventralRgb, out);
        writeInts(s.dorsalVisibleIdx, out);
        writeInts(s.dorsalMaskedIdx, out);
        writeBytes(s.dorsalPixels, out);
        writeFloats(s.dorsalGabor, out);
        writeBytes(s.dorsalContour, out);
        writeBytes(s.dorsalMotion, out);
    }

    @Override
    public TrainingSample deserialize(DataInputView in) throws IOException {
        return new TrainingSample(
                in.readUTF(),
                in.readInt(),
                readInts(in),
                readInts(in),
                readBytes(in),
                readFloats(in),
                readBytes(in),
                readBytes(in),
                readInts(in),
                readInts(in),
                readBytes(in),
                readFloats(in),
                readBytes(in),
                readBytes(in));
    }

    @Override
    public TrainingSample deserialize(TrainingSample reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<TrainingSample> snapshotConfiguration() {
        return new Snapshot();
    }

    private static void writeInts(int[] a, DataOutputView out) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.BIG_ENDIAN);
        b.asIntBuffer().put(a);
        out.writeInt(a.length);
        out.write(b.array());
    }

    private static void writeFloats(float[] a, DataOutputView out) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.BIG_ENDIAN);
        b.asFloatBuffer().put(a);
        out.writeInt(a.length);
        out.write(b.array());
    }

    private static void writeBytes(byte[] a, DataOutputView out) throws IOException {
        out.writeInt(a.length);
        out.write(a);
    }

    private static int checkedLength(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("Negative array length " + n + " in a TrainingSample.");
        }
        return n;
    }

    private static int[] readInts(DataInputView in) throws IOException {
        int n = checkedLength(in);
        byte[] raw = new byte[4 * n];
        in.readFully(raw);
        int[] a = new int[n];
        ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN).asIntBuffer().get(a);
        return a;
    }

    private static float[] readFloats(DataInputView in) throws IOException {
        int n = checkedLength(in);
        byte[] raw = new byte[4 * n];
        in.readFully(raw);
        float[] a = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(a);
        return a;
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        byte[] a = new byte[checkedLength(in)];
        in.readFully(a);
        return a;
    }

    /** Snapshot for checkpoints and savepoints; version 1 of the format above. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<TrainingSample> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
