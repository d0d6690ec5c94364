package dev.rillet.jobs;

import dev.rillet.jobs.backfill.BackfillCommand;
import dev.rillet.jobs.bench.E2eBenchCommand;
import dev.rillet.jobs.bench.StateBenchCommand;
import dev.rillet.jobs.bench.TaggerBenchCommand;
import dev.rillet.jobs.cli.Command;
import dev.rillet.jobs.cli.CommandContext;
import dev.rillet.jobs.cli.CommandLine;
import dev.rillet.jobs.cluster.ClusterCommand;
import dev.rillet.jobs.cluster.StopCommand;
import dev.rillet.jobs.demo.DemoCommand;
import dev.rillet.jobs.elmo.ConvertElmoCommand;
import dev.rillet.jobs.elmo.ElmoBenchCommand;
import dev.rillet.jobs.elmo.ElmoEmbedCommand;
import dev.rillet.jobs.eval.EvalCommand;
import dev.rillet.jobs.live.LiveCommand;
import dev.rillet.jobs.tools.DumpCommand;
import dev.rillet.jobs.tools.KafkaCommand;
import dev.rillet.jobs.tools.ModelUpdateCommand;
import dev.rillet.jobs.tools.ProduceCommand;
import dev.rillet.jobs.tools.TokenizeCommand;
import dev.rillet.onnx.ExecutionProviderUnavailableException;
import dev.rillet.recurrent.RestoredModelMismatchException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of the shaded jar: {@code rillet <command> [options]}. It holds the list of commands;
 * {@link Command} and {@link CommandLine} are in {@code jobs.cli}, below every command package.
 */
public final class Rillet {
  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  static {
    for (Command c :
        new Command[] {
          new DemoCommand(),
          new LiveCommand(),
          new StopCommand(),
          new ModelUpdateCommand(),
          new BackfillCommand(),
          new EvalCommand(),
          new KafkaCommand(),
          new ClusterCommand(ClusterCommand.Action.START),
          new ClusterCommand(ClusterCommand.Action.STATUS),
          new ClusterCommand(ClusterCommand.Action.STOP),
          new ProduceCommand(),
          new DumpCommand(),
          new TokenizeCommand(),
          new TaggerBenchCommand(),
          new E2eBenchCommand(),
          new StateBenchCommand(),
          new ConvertElmoCommand(),
          new ElmoEmbedCommand(),
          new ElmoBenchCommand()
        }) {
      COMMANDS.put(c.name(), c);
    }
  }

  private Rillet() {}

  /** The only place that touches {@code System.out} and {@code System.err}. */
  public static void main(String[] args) {
    System.exit(run(args, CommandContext.of(System.out, System.err)));
  }

  /**
   * Runs {@code args} as {@code main} does, printing to the context's streams; returns the exit
   * code: 0 done, 1 failed, 2 a usage error (unknown command or option, bad value).
   */
  static int run(String[] args, CommandContext context) {
    PrintStream out = context.out();
    PrintStream err = context.err();
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      printUsage(out);
      return args.length == 0 ? 1 : 0;
    }
    // Two-word commands ("bench tagger") take their second word as part of the name.
    int words =
        args.length > 1 && !args[1].startsWith("-") && COMMANDS.containsKey(args[0] + " " + args[1])
            ? 2
            : 1;
    String name = words == 2 ? args[0] + " " + args[1] : args[0];
    Command command = COMMANDS.get(name);
    if (command == null) {
      err.println("rillet: unknown command '" + name + "'");
      printUsage(err);
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, words, args.length);
    CommandLine cli = command.commandLine();
    if (CommandLine.wantsHelp(rest)) {
      cli.printHelp(out);
      return 0;
    }
    try {
      return command.run(context, cli.parse(rest));
    } catch (CommandLine.UsageException | IllegalArgumentException e) {
      err.println("rillet " + command.name() + ": " + e.getMessage());
      return 2;
    } catch (Exception e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof RestoredModelMismatchException
            || c instanceof ExecutionProviderUnavailableException) {
          // A job restored with the wrong model, or CUDA asked for where there is none: the
          // message says what to do, a trace would not.
          err.println("rillet " + command.name() + ": " + c.getMessage());
          return 2;
        }
      }
      err.println("rillet " + command.name() + " failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private static void printUsage(PrintStream out) {
    out.println("Usage: rillet <command> [options]   (rillet <command> --help for its options)");
    out.println();
    out.println("Commands:");
    for (Command c : COMMANDS.values()) {
      out.printf("  %-15s %s%n", c.name(), c.summary());
    }
  }
}
