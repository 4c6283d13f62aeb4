// Package chatsteps runs the same conversation against vertexchat with any Go client: a unary call, a stream
// rebuilt into the whole answer, error details, a deadline, a cancelled stream, inline media, and a
// thought-signature round trip. Each step prints one JSON line.
package chatsteps

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	v1 "example.com/vertexchat/examples/go/gen/vertexchat/v1"
)

// Chat is what a step needs from a client library.
type Chat interface {
	Create(ctx context.Context, req *v1.ChatCompletionRequest) (res *v1.ChatCompletionResponse, location string, err error)
	// Stream starts a streaming call; recv returns io.EOF at the end.
	Stream(ctx context.Context, req *v1.ChatCompletionRequest) (recv func() (*v1.ChatCompletionStreamResponse, error), err error)
	// Code is the status code of an error, in lower snake case ("invalid_argument").
	Code(err error) string
	// Details are the error's google.rpc details.
	Details(err error) []proto.Message
}

// Run runs every step and prints its outcome; it stops at the first step that fails.
func Run(ctx context.Context, chat Chat) error {
	steps := []func(context.Context, Chat) (map[string]any, error){
		unary, stream, errorDetails, deadline, cancelStream, inlineMedia, signatureRoundTrip,
	}
	for _, step := range steps {
		out, err := step(ctx, chat)
		if err != nil {
			return err
		}
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	}
	return nil
}

// UserRequest is a request with one user message.
func UserRequest(model, text string) *v1.ChatCompletionRequest {
	return &v1.ChatCompletionRequest{
		Model: model,
		Messages: []*v1.Message{{
			Role:    v1.Role_ROLE_USER,
			Content: []*v1.ContentPart{{Kind: &v1.ContentPart_Text{Text: text}}},
		}},
	}
}

func answerText(m *v1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		if !p.GetThought() {
			b.WriteString(p.GetText())
		}
	}
	return b.String()
}

func unary(ctx context.Context, c Chat) (map[string]any, error) {
	res, location, err := c.Create(ctx, UserRequest("google/gemini-2.5-flash", "Hello from Go"))
	if err != nil {
		return nil, err
	}
	choice := res.GetChoices()[0]
	return map[string]any{"step": "unary", "text": answerText(choice.GetMessage()), "finish": choice.GetFinishReason().String(),
		"total_tokens": res.GetUsage().GetTotalTokens(), "location": location}, nil
}

func stream(ctx context.Context, c Chat) (map[string]any, error) {
	recv, err := c.Stream(ctx, UserRequest("google/gemini-2.5-flash", "Stream to Go"))
	if err != nil {
		return nil, err
	}
	res, err := Rebuild(recv)
	if err != nil {
		return nil, err
	}
	choice := res.GetChoices()[0]
	return map[string]any{"step": "stream", "text": answerText(choice.GetMessage()), "finish": choice.GetFinishReason().String(),
		"total_tokens": res.GetUsage().GetTotalTokens()}, nil
}

func errorDetails(ctx context.Context, c Chat) (map[string]any, error) {
	req := UserRequest("google/gemini-2.5-flash", "x")
	req.Messages = nil
	_, _, err := c.Create(ctx, req)
	out := map[string]any{"step": "error", "code": c.Code(err)}
	for _, d := range c.Details(err) {
		switch detail := d.(type) {
		case *errdetails.BadRequest:
			out["field"] = detail.GetFieldViolations()[0].GetField()
		case *errdetails.ErrorInfo:
			out["reason"] = detail.GetReason()
		}
	}
	_, _, err = c.Create(ctx, UserRequest("google/gemini-2.5-flash", "[[emulate status=429]]"))
	out["upstream_code"] = c.Code(err)
	for _, d := range c.Details(err) {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			out["retry_delay_ms"] = r.GetRetryDelay().AsDuration().Milliseconds()
		}
	}
	return out, nil
}

func deadline(ctx context.Context, c Chat) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, _, err := c.Create(ctx, UserRequest("google/gemini-2.5-flash", "go deadline [[emulate delay_ms=3000]]"))
	return map[string]any{"step": "deadline", "code": c.Code(err)}, nil
}

func cancelStream(ctx context.Context, c Chat) (map[string]any, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recv, err := c.Stream(ctx, UserRequest("google/gemini-2.5-flash", "go cancel [[emulate words=500 pacing_ms=20]]"))
	if err != nil {
		return nil, err
	}
	deltas := 0
	for {
		msg, err := recv()
		if err != nil {
			return map[string]any{"step": "cancel", "deltas": deltas, "code": c.Code(err)}, nil
		}
		if msg.GetDelta() != nil {
			if deltas++; deltas == 3 {
				cancel()
			}
		}
	}
}

func inlineMedia(ctx context.Context, c Chat) (map[string]any, error) {
	req := UserRequest("google/gemini-2.5-flash", "go media: describe the image")
	png := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}
	req.Messages[0].Content = append(req.Messages[0].Content, &v1.ContentPart{Kind: &v1.ContentPart_Image{
		Image: &v1.Media{Source: &v1.Media_Data{Data: png}, MimeType: "image/png"}}})
	res, _, err := c.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]any{"step": "media", "text": answerText(res.GetChoices()[0].GetMessage())}, nil
}

func signatureRoundTrip(ctx context.Context, c Chat) (map[string]any, error) {
	params, _ := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})
	req := UserRequest("google/gemini-3.1-pro-preview", "go weather in Oslo")
	req.Tools = []*v1.Tool{{Kind: &v1.Tool_Function{Function: &v1.FunctionTool{Name: "get_weather", Parameters: params}}}}
	first, _, err := c.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	assistant := first.GetChoices()[0].GetMessage()
	call := assistant.GetToolCalls()[0]
	// Send the assistant message back unchanged, then the tool's result.
	req.Messages = append(req.Messages, assistant, &v1.Message{
		Role: v1.Role_ROLE_TOOL, ToolCallId: call.GetId(),
		Content: []*v1.ContentPart{{Kind: &v1.ContentPart_Text{Text: `{"temp_c":21}`}}},
	})
	second, _, err := c.Create(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]any{"step": "signature", "signature_bytes": len(call.GetThoughtSignature()),
		"text": answerText(second.GetChoices()[0].GetMessage())}, nil
}
