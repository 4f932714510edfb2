import * as vscode from 'vscode';
import { Answer, BACK, PickItem, Prompter, Step } from './prompter';

/** The real thing: QuickPick / InputBox with a back button and "step x of n", validation as you type. */
export const vscodePrompter: Prompter = {
  pick<T>(s: Step & { placeholder: string; items: PickItem<T>[]; typed?: (text: string) => PickItem<T> | undefined }): Promise<Answer<T>> {
    return new Promise((resolve) => {
      const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { value: T }>();
      Object.assign(qp, {
        title: s.title,
        step: s.step,
        totalSteps: s.totalSteps,
        placeholder: s.placeholder,
        ignoreFocusOut: true,
        matchOnDescription: true,
        matchOnDetail: true,
      });
      const toItem = (i: PickItem<T>) => ({ label: i.label, description: i.description, detail: i.detail, value: i.value });
      const listed = s.items.map(toItem);
      qp.items = listed;
      const active = qp.items.find((_, n) => s.items[n].picked);
      if (active) qp.activeItems = [active];
      if (s.typed) {
        const typed = s.typed;
        // the typed value goes first, so Enter takes it (the confirmation shows the command line
        // before anything is created); the list stays below for a click
        qp.onDidChangeValue((text) => {
          const extra = typed(text);
          qp.items = extra ? [{ ...toItem(extra), alwaysShow: true }, ...listed] : listed;
        });
      }
      if (s.step > 1) qp.buttons = [vscode.QuickInputButtons.Back];
      let done = false;
      const finish = (a: Answer<T>) => {
        if (done) return;
        done = true;
        resolve(a);
        qp.dispose();
      };
      qp.onDidTriggerButton(() => finish(BACK));
      qp.onDidAccept(() => qp.selectedItems[0] && finish(qp.selectedItems[0].value));
      qp.onDidHide(() => finish(undefined));
      qp.show();
    });
  },
  input(s): Promise<Answer<string>> {
    return new Promise((resolve, reject) => {
      const box = vscode.window.createInputBox();
      Object.assign(box, {
        title: s.title,
        step: s.step,
        totalSteps: s.totalSteps,
        prompt: s.prompt,
        value: s.value,
        placeholder: s.placeholder,
        password: s.password ?? false,
        ignoreFocusOut: true,
      });
      if (s.step > 1) box.buttons = [vscode.QuickInputButtons.Back];
      const check = () => (box.validationMessage = s.validate(box.value));
      if (box.value) check(); // an empty box is not an error before the user typed
      let done = false;
      const finish = (a: Answer<string>) => {
        if (done) return;
        done = true;
        resolve(a);
        box.dispose();
      };
      box.onDidChangeValue(check);
      box.onDidTriggerButton(() => finish(BACK));
      box.onDidAccept(async () => {
        if (s.validate(box.value) || box.busy) return;
        if (!s.check) return finish(box.value);
        const value = box.value;
        box.busy = true;
        box.enabled = false;
        try {
          const problem = await s.check(value);
          if (problem === undefined) return finish(value);
          box.validationMessage = problem; // shown in the box, which stays open for the next try
        } catch (err) {
          if (!done) {
            done = true;
            reject(err instanceof Error ? err : new Error(String(err)));
            box.dispose();
          }
        } finally {
          if (!done) Object.assign(box, { busy: false, enabled: true });
        }
      });
      box.onDidHide(() => finish(undefined));
      box.show();
    });
  },
  async pickMany<T>(s: Step & { placeholder: string; items: PickItem<T>[] }): Promise<T[] | undefined> {
    const picked = await vscode.window.showQuickPick(
      s.items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, picked: i.picked, value: i.value })),
      { canPickMany: true, title: s.title, placeHolder: s.placeholder, ignoreFocusOut: true },
    );
    return picked?.map((p) => p.value);
  },
  async confirm(message, detail, actions) {
    return vscode.window.showInformationMessage(message, { modal: true, detail }, ...actions);
  },
  async notify(level, message, ...actions) {
    const show = {
      info: vscode.window.showInformationMessage,
      warning: vscode.window.showWarningMessage,
      error: vscode.window.showErrorMessage,
    }[level];
    return show(message, ...actions);
  },
  async openFile({ title, openLabel, filters, defaultPath }) {
    const picked = await vscode.window.showOpenDialog({
      title,
      openLabel,
      filters,
      canSelectMany: false,
      defaultUri: defaultPath ? vscode.Uri.file(defaultPath) : undefined,
    });
    return picked?.[0]?.fsPath;
  },
};
