package dev.rillet.onnx.graph;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProtoMessageTest {
  @Test
  void varintsUseTheWireEncoding() {
    assertThat(new ProtoMessage().varint(1, 150).toByteArray()).containsExactly(0x08, 0x96, 0x01);
    assertThat(new ProtoMessage().varint(2, 300).toByteArray()).containsExactly(0x10, 0xAC, 0x02);
    byte[] minusOne = new ProtoMessage().varint(1, -1).toByteArray();
    assertThat(minusOne).hasSize(11); // tag + 10 bytes for a negative int64
    assertThat(minusOne[10]).isEqualTo((byte) 0x01);
  }

  @Test
  void stringsAndNestedMessagesAreLengthDelimited() {
    ProtoMessage inner = new ProtoMessage().string(1, "ab");
    ProtoMessage outer = new ProtoMessage().varint(1, 1).message(7, inner).varint(2, 3);
    assertThat(outer.toByteArray())
        .containsExactly(0x08, 0x01, 0x3A, 0x04, 0x0A, 0x02, 'a', 'b', 0x10, 0x03);
    assertThat(outer.size()).isEqualTo(10);
  }

  @Test
  void floatArraysAreLittleEndianBytes() {
    ProtoMessage m = new ProtoMessage().floatsAsBytes(9, new float[] {1.0f, -2.0f});
    assertThat(m.toByteArray()).containsExactly(0x4A, 0x08, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0);
    assertThat(m.size()).isEqualTo(10);
  }
}
