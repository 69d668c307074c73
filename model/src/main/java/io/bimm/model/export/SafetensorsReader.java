package io.bimm.model.export;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads F32 safetensors files written by {@link SafetensorsWriter}. */
public final class SafetensorsReader {

    /** One tensor: its shape and row-major values. */
    public record Tensor(long[] shape, float[] values) {}

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafetensorsReader() {}

    /** Reads a whole file. */
    public static SafetensorsReader read(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong();
        if (headerLength < 2 || headerLength > buf.remaining()) {
            throw new IOException("Not a safetensors file (bad header length): " + path);
        }
        byte[] json = new byte[(int) headerLength];
        buf.get(json);
        int dataStart = 8 + (int) headerLength;
        JsonObject header =
                JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
        SafetensorsReader r = new SafetensorsReader();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            JsonObject t = e.getValue().getAsJsonObject();
            if (e.getKey().equals("__metadata__")) {
                t.entrySet().forEach(m -> r.metadata.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            if (!"F32".equals(t.get("dtype").getAsString())) {
                throw new IOException("Only F32 tensors are supported, " + e.getKey() + " is not");
            }
            var shapeJson = t.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
            }
            var offsets = t.getAsJsonArray("data_offsets");
            int begin = (int) offsets.get(0).getAsLong();
            int end = (int) offsets.get(1).getAsLong();
            float[] values = new float[(end - begin) / 4];
            buf.duplicate()
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .position(dataStart + begin)
                    .limit(dataStart + end)
                    .slice()
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(values);
            r.tensors.put(e.getKey(), new Tensor(shape, values));
        }
        return r;
    }

    /** Tensors by name, in file order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} entries. */
    public Map<String, String> metadata() {
        return metadata;
    }
}
