package chatsteps

import (
	"errors"
	"io"

	v1 "example.com/vertexchat/examples/go/gen/vertexchat/v1"
)

// Rebuild reads a stream to its end and rebuilds the whole response by the rule documented on
// ChatCompletionStreamResponse. A stream without a finished event is an error: the answer is incomplete.
func Rebuild(recv func() (*v1.ChatCompletionStreamResponse, error)) (*v1.ChatCompletionResponse, error) {
	out := &v1.ChatCompletionResponse{}
	choices := map[int32]*v1.Choice{}
	choice := func(i int32) *v1.Choice {
		if choices[i] == nil {
			choices[i] = &v1.Choice{Index: i, Message: &v1.Message{Role: v1.Role_ROLE_ASSISTANT}}
			out.Choices = append(out.Choices, choices[i])
		}
		return choices[i]
	}
	for {
		msg, err := recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the stream ended without a finished event: the answer is incomplete")
		}
		if err != nil {
			return nil, err
		}
		switch e := msg.GetEvent().(type) {
		case *v1.ChatCompletionStreamResponse_Started:
			out.Id, out.Model, out.Created, out.ServedBy = e.Started.GetId(), e.Started.GetModel(), e.Started.GetCreated(), e.Started.GetServedBy()
		case *v1.ChatCompletionStreamResponse_Delta:
			applyDelta(choice(e.Delta.GetChoiceIndex()).Message, e.Delta)
		case *v1.ChatCompletionStreamResponse_Finished:
			for _, f := range e.Finished.GetChoices() {
				choice(f.GetIndex()).FinishReason = f.GetFinishReason()
				choice(f.GetIndex()).UpstreamFinishReason = f.GetUpstreamFinishReason()
			}
			out.Usage = e.Finished.GetUsage()
			return out, nil
		}
	}
}

func applyDelta(m *v1.Message, delta *v1.ChoiceDelta) {
	appendText := func(text string, thought bool) {
		if n := len(m.Content); n > 0 && m.Content[n-1].GetThought() == thought {
			if t, ok := m.Content[n-1].GetKind().(*v1.ContentPart_Text); ok {
				t.Text += text
				return
			}
		}
		m.Content = append(m.Content, &v1.ContentPart{Kind: &v1.ContentPart_Text{Text: text}, Thought: thought})
	}
	switch d := delta.GetDelta().(type) {
	case *v1.ChoiceDelta_Text:
		appendText(d.Text, false)
	case *v1.ChoiceDelta_Thought:
		appendText(d.Thought, true)
	case *v1.ChoiceDelta_Part:
		m.Content = append(m.Content, d.Part)
	case *v1.ChoiceDelta_ToolCall:
		for int(d.ToolCall.GetCallIndex()) >= len(m.ToolCalls) {
			m.ToolCalls = append(m.ToolCalls, &v1.ToolCall{})
		}
		call := m.ToolCalls[d.ToolCall.GetCallIndex()]
		if d.ToolCall.GetId() != "" {
			call.Id = d.ToolCall.GetId()
		}
		if d.ToolCall.GetName() != "" {
			call.Name = d.ToolCall.GetName()
		}
		if len(d.ToolCall.GetThoughtSignature()) > 0 {
			call.ThoughtSignature = d.ToolCall.GetThoughtSignature()
		}
		call.Arguments += d.ToolCall.GetArguments()
	case *v1.ChoiceDelta_ThoughtSignature:
		m.ThoughtSignature = d.ThoughtSignature
	}
}
