package dev.rillet.avro;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every schema must stay backward compatible with its last released version kept in {@code
 * schemas/released/<version>/}: a consumer built on the current schema must read what producers of
 * the released one wrote. Changing a schema incompatibly fails this test; releasing a new version
 * means adding a new folder under {@code released/}.
 */
class SchemaCompatibilityTest {
  private static final Path CURRENT = Path.of("src", "main", "avro");
  private static final Path RELEASED = Path.of("released");

  /**
   * Schemas added since the last release: nothing was ever written with an older version of them,
   * so there is nothing to be compatible with. Move them out of this set when they are released.
   */
  private static final java.util.Set<String> NEW_SINCE_RELEASE =
      java.util.Set.of("ModelUpdate.avsc");

  static Stream<String> schemaFiles() throws IOException {
    try (Stream<Path> files = Files.list(CURRENT)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".avsc"))
          .sorted()
          .toList()
          .stream();
    }
  }

  static Path latestRelease() throws IOException {
    try (Stream<Path> versions = Files.list(RELEASED)) {
      return versions
          .filter(Files::isDirectory)
          .max(SchemaCompatibilityTest::compareVersions)
          .orElseThrow(() -> new AssertionError("no released schemas under " + RELEASED));
    }
  }

  @ParameterizedTest
  @MethodSource("schemaFiles")
  void currentSchemaReadsTheLastReleasedOne(String file) throws IOException {
    Path released = latestRelease().resolve(file);
    if (NEW_SINCE_RELEASE.contains(file)) {
      assertThat(released)
          .as("%s is released: remove it from NEW_SINCE_RELEASE", file)
          .doesNotExist();
      return;
    }
    assertThat(released)
        .as(
            "every schema needs a released version to be checked against; copy new schemas"
                + " into a new released/<version>/ folder when releasing")
        .exists();
    Schema current = new Schema.Parser().parse(CURRENT.resolve(file).toFile());
    Schema old = new Schema.Parser().parse(released.toFile());
    var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
    assertThat(result.getType())
        .as(
            "%s is not backward compatible with %s: %s",
            file, released, result.getResult().getIncompatibilities())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void theCheckCatchesABreakingChange() throws IOException {
    // Adding a field without a default breaks old data: the check above must see that.
    Schema old = new Schema.Parser().parse(latestRelease().resolve("TokenTag.avsc").toFile());
    List<Schema.Field> fields = new java.util.ArrayList<>();
    for (Schema.Field f : old.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(new Schema.Field("language", Schema.create(Schema.Type.STRING), "no default"));
    Schema broken =
        Schema.createRecord(old.getName(), old.getDoc(), old.getNamespace(), false, fields);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, old).getType())
        .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void aModelUpdateWrittenBeforeTargetsReadsAsATaggerUpdate() throws IOException {
    // ModelUpdate is not released, but the first live jobs with model updates wrote it without
    // target and elmoSource: such records must still read, as tagger updates.
    Schema current = new Schema.Parser().parse(CURRENT.resolve("ModelUpdate.avsc").toFile());
    List<Schema.Field> fields = new java.util.ArrayList<>();
    for (Schema.Field f : current.getFields()) {
      if (!f.name().equals("target") && !f.name().equals("elmoSource")) {
        fields.add(new Schema.Field(f, f.schema()));
      }
    }
    Schema before =
        Schema.createRecord(
            current.getName(), current.getDoc(), current.getNamespace(), false, fields);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, before).getType())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    org.apache.avro.generic.GenericRecord old =
        new org.apache.avro.generic.GenericData.Record(before);
    old.put("updateId", "u1");
    old.put("createdAt", 7L);
    old.put("modelId", "m@1");
    old.put("packageDir", "/models/m");
    old.put(
        "policy",
        new org.apache.avro.generic.GenericData.EnumSymbol(
            before.getField("policy").schema(), "DRAIN"));
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(bytes, null);
    new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(before)
        .write(old, encoder);
    encoder.flush();
    ModelUpdate read =
        new org.apache.avro.specific.SpecificDatumReader<ModelUpdate>(
                before, ModelUpdate.getClassSchema())
            .read(
                null,
                org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    assertThat(read.getTarget()).isEqualTo(ModelUpdateTarget.TAGGER);
    assertThat(read.getElmoSource()).isNull();
    assertThat(read.getPolicy()).isEqualTo(ModelUpdatePolicy.DRAIN);
    assertThat(read.getPackageDir()).isEqualTo("/models/m");
  }

  @Test
  void generatedClassesMatchTheSchemaFiles() throws IOException {
    // The generated class adds avro.java.string properties; compare structure.
    Schema file = new Schema.Parser().parse(CURRENT.resolve("TextEvent.avsc").toFile());
    assertThat(TextEvent.getClassSchema().getFields())
        .extracting(Schema.Field::name)
        .isEqualTo(file.getFields().stream().map(Schema.Field::name).toList());
    TextEvent e =
        TextEvent.newBuilder().setStreamId("s").setSeq(1).setEventTime(2).setText("hi").build();
    assertThat(e.getEndOfStream()).isFalse();
    assertThat(e.getAttributes()).isEmpty();
    assertThat(TextEvent.getDecoder().decode(TextEvent.getEncoder().encode(e))).isEqualTo(e);
  }

  private static int compareVersions(Path a, Path b) {
    String[] x = a.getFileName().toString().split("\\.");
    String[] y = b.getFileName().toString().split("\\.");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }
}
