/**
 * ELMo and its task heads run through ONNX Runtime, outside Flink: {@link
 * dev.rillet.elmo.runtime.ElmoModel} (the biLM, from an ONNX file or converted in memory, with its
 * {@link dev.rillet.elmo.runtime.TokenVectorCache}) turns tokenised sentences into {@link
 * dev.rillet.elmo.runtime.ElmoLayers} (carrying an {@link dev.rillet.elmo.runtime.ElmoState} when
 * stateful); {@link dev.rillet.elmo.runtime.ElmoHeads} maps those to tags and a sentence sentiment
 * ({@link dev.rillet.elmo.runtime.SentimentHead}); {@link dev.rillet.elmo.runtime.ElmoSource} names
 * where a biLM comes from, and {@link dev.rillet.elmo.runtime.SharedElmo} shares loaded models
 * between the subtasks of one JVM.
 *
 * <p>The middle of the three ELMo packages: it uses {@code dev.rillet.elmo.conversion} (to convert
 * an {@code options.json} + {@code weights.hdf5} pair in memory), never {@code dev.rillet.elmo}
 * (the Flink operator, which uses this package). The operators' {@code ArchitectureTest} enforces
 * this.
 */
package dev.rillet.elmo.runtime;
