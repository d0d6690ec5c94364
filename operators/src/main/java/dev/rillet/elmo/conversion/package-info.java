/**
 * ELMo's files turned into an ONNX graph, without Python and without ONNX Runtime: {@link
 * dev.rillet.elmo.conversion.ElmoOptions} reads an AllenNLP / bilm-tf {@code options.json}, {@link
 * dev.rillet.elmo.conversion.ElmoWeights} its {@code weights.hdf5}, and {@link
 * dev.rillet.elmo.conversion.ElmoOnnxConverter} writes the graph that computes what bilm-tf
 * computes from them; {@link dev.rillet.elmo.conversion.ElmoCharIds} is the character-id encoding
 * the graph takes, and {@link dev.rillet.elmo.conversion.ElmoFormatException} names what is wrong
 * with a file.
 *
 * <p>The bottom of the three ELMo packages: it uses neither {@code dev.rillet.elmo.runtime} (which
 * runs the graphs made here) nor {@code dev.rillet.elmo} (the Flink operator). The operators'
 * {@code ArchitectureTest} enforces this.
 */
package dev.rillet.elmo.conversion;
