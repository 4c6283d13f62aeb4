package dev.vertexchat.example;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.vertexchat.v1.ChatCompletionRequest;
import dev.vertexchat.v1.ChatCompletionResponse;
import dev.vertexchat.v1.ChatCompletionStreamResponse;
import dev.vertexchat.v1.ChatServiceGrpc;
import dev.vertexchat.v1.ContentPart;
import dev.vertexchat.v1.FunctionTool;
import dev.vertexchat.v1.Media;
import dev.vertexchat.v1.Message;
import dev.vertexchat.v1.Role;
import dev.vertexchat.v1.Tool;
import dev.vertexchat.v1.ToolCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A vertexchat client in Java with grpc-java: a unary call, a stream rebuilt into the whole answer, error details,
 * a deadline, a cancelled stream, inline media, and a thought-signature round trip. Each step prints one JSON line.
 * Usage: java -jar vertexchat-java-example.jar 127.0.0.1:8080
 */
public final class Main {
  private static final Metadata.Key<String> LOCATION =
      Metadata.Key.of("x-vertexchat-location", Metadata.ASCII_STRING_MARSHALLER);

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Main 127.0.0.1:8080");
      System.exit(2);
    }
    int colon = args[0].lastIndexOf(':');
    ManagedChannel channel = ManagedChannelBuilder
        .forAddress(args[0].substring(0, colon), Integer.parseInt(args[0].substring(colon + 1)))
        .usePlaintext()
        .build();
    try {
      ChatServiceGrpc.ChatServiceBlockingStub stub = ChatServiceGrpc.newBlockingStub(channel);
      print(unary(stub));
      print(stream(stub));
      print(errorDetails(stub));
      print(deadline(stub));
      print(cancelStream(stub));
      print(inlineMedia(stub));
      print(signatureRoundTrip(stub));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static ChatCompletionRequest.Builder userRequest(String model, String text) {
    return ChatCompletionRequest.newBuilder()
        .setModel(model)
        .addMessages(Message.newBuilder().setRole(Role.ROLE_USER).addContent(ContentPart.newBuilder().setText(text)));
  }

  static String answerText(Message message) {
    StringBuilder text = new StringBuilder();
    for (ContentPart part : message.getContentList()) {
      if (!part.getThought() && part.hasText()) text.append(part.getText());
    }
    return text.toString();
  }

  static Map<String, Object> unary(ChatServiceGrpc.ChatServiceBlockingStub stub) {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    ChatCompletionResponse res = stub.withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .createChatCompletion(userRequest("google/gemini-2.5-flash", "Hello from Java").build());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "unary");
    out.put("text", answerText(res.getChoices(0).getMessage()));
    out.put("finish", res.getChoices(0).getFinishReason().name());
    out.put("total_tokens", res.getUsage().getTotalTokens());
    out.put("location", headers.get().get(LOCATION));
    return out;
  }

  /** Rebuilds the whole response by the rule documented on ChatCompletionStreamResponse. */
  static ChatCompletionResponse rebuild(Iterator<ChatCompletionStreamResponse> events) {
    ChatCompletionResponse.Builder out = ChatCompletionResponse.newBuilder();
    Map<Integer, dev.vertexchat.v1.Choice.Builder> choices = new LinkedHashMap<>();
    while (events.hasNext()) {
      ChatCompletionStreamResponse event = events.next();
      switch (event.getEventCase()) {
        case STARTED -> out.setId(event.getStarted().getId()).setModel(event.getStarted().getModel())
            .setCreated(event.getStarted().getCreated()).setServedBy(event.getStarted().getServedBy());
        case DELTA -> {
          var delta = event.getDelta();
          Message.Builder m = choices.computeIfAbsent(delta.getChoiceIndex(), i -> dev.vertexchat.v1.Choice.newBuilder()
              .setIndex(i).setMessage(Message.newBuilder().setRole(Role.ROLE_ASSISTANT))).getMessageBuilder();
          switch (delta.getDeltaCase()) {
            case TEXT, THOUGHT -> {
              boolean thought = delta.getDeltaCase() == dev.vertexchat.v1.ChoiceDelta.DeltaCase.THOUGHT;
              String text = thought ? delta.getThought() : delta.getText();
              int last = m.getContentCount() - 1;
              if (last >= 0 && m.getContent(last).hasText() && m.getContent(last).getThought() == thought) {
                m.setContent(last, m.getContent(last).toBuilder().setText(m.getContent(last).getText() + text));
              } else {
                m.addContent(ContentPart.newBuilder().setText(text).setThought(thought));
              }
            }
            case PART -> m.addContent(delta.getPart());
            case TOOL_CALL -> {
              var piece = delta.getToolCall();
              while (m.getToolCallsCount() <= piece.getCallIndex()) m.addToolCalls(ToolCall.newBuilder());
              ToolCall.Builder call = m.getToolCallsBuilder(piece.getCallIndex());
              if (!piece.getId().isEmpty()) call.setId(piece.getId());
              if (!piece.getName().isEmpty()) call.setName(piece.getName());
              if (!piece.getThoughtSignature().isEmpty()) call.setThoughtSignature(piece.getThoughtSignature());
              call.setArguments(call.getArguments() + piece.getArguments());
            }
            case THOUGHT_SIGNATURE -> m.setThoughtSignature(delta.getThoughtSignature());
            default -> { }
          }
        }
        case FINISHED -> {
          for (var finish : event.getFinished().getChoicesList()) {
            choices.computeIfAbsent(finish.getIndex(), i -> dev.vertexchat.v1.Choice.newBuilder().setIndex(i))
                .setFinishReason(finish.getFinishReason()).setUpstreamFinishReason(finish.getUpstreamFinishReason());
          }
          out.setUsage(event.getFinished().getUsage());
          choices.values().forEach(out::addChoices);
          return out.build();
        }
        default -> { }
      }
    }
    throw new IllegalStateException("the stream ended without a finished event: the answer is incomplete");
  }

  static Map<String, Object> stream(ChatServiceGrpc.ChatServiceBlockingStub stub) {
    ChatCompletionResponse res = rebuild(stub.streamChatCompletion(userRequest("google/gemini-2.5-flash", "Stream to Java").build()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "stream");
    out.put("text", answerText(res.getChoices(0).getMessage()));
    out.put("finish", res.getChoices(0).getFinishReason().name());
    out.put("total_tokens", res.getUsage().getTotalTokens());
    return out;
  }

  static String code(StatusRuntimeException e) {
    return e.getStatus().getCode().name().toLowerCase();
  }

  static Map<String, Object> errorDetails(ChatServiceGrpc.ChatServiceBlockingStub stub) throws InvalidProtocolBufferException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "error");
    try {
      stub.createChatCompletion(userRequest("google/gemini-2.5-flash", "x").clearMessages().build());
    } catch (StatusRuntimeException e) {
      out.put("code", code(e));
      for (Any detail : StatusProto.fromThrowable(e).getDetailsList()) {
        if (detail.is(BadRequest.class)) out.put("field", detail.unpack(BadRequest.class).getFieldViolations(0).getField());
        if (detail.is(ErrorInfo.class)) out.put("reason", detail.unpack(ErrorInfo.class).getReason());
      }
    }
    try {
      stub.createChatCompletion(userRequest("google/gemini-2.5-flash", "[[emulate status=429]]").build());
    } catch (StatusRuntimeException e) {
      out.put("upstream_code", code(e));
      for (Any detail : StatusProto.fromThrowable(e).getDetailsList()) {
        if (detail.is(RetryInfo.class)) {
          var delay = detail.unpack(RetryInfo.class).getRetryDelay();
          out.put("retry_delay_ms", delay.getSeconds() * 1000 + delay.getNanos() / 1_000_000);
        }
      }
    }
    return out;
  }

  static Map<String, Object> deadline(ChatServiceGrpc.ChatServiceBlockingStub stub) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "deadline");
    try {
      stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS)
          .createChatCompletion(userRequest("google/gemini-2.5-flash", "java deadline [[emulate delay_ms=3000]]").build());
      out.put("code", "ok");
    } catch (StatusRuntimeException e) {
      out.put("code", code(e));
    }
    return out;
  }

  static Map<String, Object> cancelStream(ChatServiceGrpc.ChatServiceBlockingStub stub) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "cancel");
    Context.CancellableContext context = Context.current().withCancellation();
    int[] deltas = {0};
    try {
      context.call(() -> {
        var events = stub.streamChatCompletion(
            userRequest("google/gemini-2.5-flash", "java cancel [[emulate words=500 pacing_ms=20]]").build());
        while (events.hasNext()) {
          if (events.next().hasDelta() && ++deltas[0] == 3) context.cancel(null);
        }
        return null;
      });
      out.put("code", "ok");
    } catch (StatusRuntimeException e) {
      out.put("code", code(e));
    }
    out.put("deltas", deltas[0]);
    return out;
  }

  static Map<String, Object> inlineMedia(ChatServiceGrpc.ChatServiceBlockingStub stub) {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ChatCompletionRequest.Builder req = userRequest("google/gemini-2.5-flash", "java media: describe the image");
    req.getMessagesBuilder(0).addContent(ContentPart.newBuilder()
        .setImage(Media.newBuilder().setData(ByteString.copyFrom(png)).setMimeType("image/png")));
    ChatCompletionResponse res = stub.createChatCompletion(req.build());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "media");
    out.put("text", answerText(res.getChoices(0).getMessage()));
    return out;
  }

  static Map<String, Object> signatureRoundTrip(ChatServiceGrpc.ChatServiceBlockingStub stub) {
    Struct params = Struct.newBuilder()
        .putFields("type", Value.newBuilder().setStringValue("object").build())
        .putFields("properties", Value.newBuilder().setStructValue(Struct.newBuilder().putFields("city",
            Value.newBuilder().setStructValue(Struct.newBuilder().putFields("type",
                Value.newBuilder().setStringValue("string").build())).build())).build())
        .build();
    ChatCompletionRequest.Builder req = userRequest("google/gemini-3.1-pro-preview", "java weather in Oslo")
        .addTools(Tool.newBuilder().setFunction(FunctionTool.newBuilder().setName("get_weather").setParameters(params)));
    Message assistant = stub.createChatCompletion(req.build()).getChoices(0).getMessage();
    ToolCall call = assistant.getToolCalls(0);
    // Send the assistant message back unchanged, then the tool's result.
    req.addMessages(assistant).addMessages(Message.newBuilder().setRole(Role.ROLE_TOOL).setToolCallId(call.getId())
        .addContent(ContentPart.newBuilder().setText("{\"temp_c\":21}")));
    ChatCompletionResponse second = stub.createChatCompletion(req.build());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("step", "signature");
    out.put("signature_bytes", call.getThoughtSignature().size());
    out.put("text", answerText(second.getChoices(0).getMessage()));
    return out;
  }

  static void print(Map<String, Object> fields) {
    StringBuilder json = new StringBuilder("{");
    for (var entry : fields.entrySet()) {
      if (json.length() > 1) json.append(',');
      json.append('"').append(entry.getKey()).append("\":");
      Object value = entry.getValue();
      if (value instanceof Number) {
        json.append(value);
      } else {
        json.append('"').append(String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    System.out.println(json.append('}'));
  }
}
