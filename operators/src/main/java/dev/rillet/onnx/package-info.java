/**
 * ONNX model packages for the recurrent tagger.
 *
 * <p>A recurrent step model package is a folder with {@code model.onnx}, {@code vocab.txt}, {@code
 * manifest.json} and {@code MODEL.md}; the contract (tensor names, shapes, metadata, manifest
 * fields, normalization) is documented in {@code docs/model-packages.md} and on {@link
 * dev.rillet.onnx.RecurrentModelPackage} and {@link dev.rillet.onnx.RecurrentModelManifest}. {@link
 * dev.rillet.onnx.RecurrentModelPackage#load} validates a package against its ONNX graph; {@link
 * dev.rillet.onnx.SharedOrt} shares loaded packages between operator subtasks of one JVM. {@link
 * dev.rillet.onnx.OrtSettings} holds the ONNX Runtime session settings of every model, ELMo's too.
 */
package dev.rillet.onnx;
